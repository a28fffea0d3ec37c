import { RoomMembers, type Deliver } from './fan-out.ts';
import type { RoomEvent } from './protocol.ts';
import { RateWindow } from './rate-limit.ts';

export type { Deliver } from './fan-out.ts';

/** Messages allowed per room per window, all members together. */
export interface RoomRateLimit {
  messages: number;
  intervalMs: number;
}

/**
 * Where room events meet their members. The protocol code only publishes, subscribes and reads
 * history, so an implementation that shares rooms between processes (Redis pub/sub for the
 * fan-out, a capped list per room for the history) can replace the in-process one unchanged.
 *
 * Contract: every subscriber of `event.room` (on every process sharing the hub) receives the event
 * once, in publish order per publisher; `message` events are kept in the room's history. A `message`
 * beyond the room's rate limit is refused: `publish` answers false and nothing is delivered or kept.
 */
export interface ChatHub {
  /** False when `event` is a message the room's rate limit refuses. */
  publish(event: RoomEvent): Promise<boolean>;
  /** Starts delivering the room's events to `deliver`; the returned function stops it. */
  subscribe(room: string, deliver: Deliver): () => void;
  /** The room's last `message` events, oldest first. */
  history(room: string): Promise<RoomEvent[]>;
  /** Problems for /readyz, for a hub that depends on something outside the process. */
  check?(): Promise<string[]>;
  close(): Promise<void>;
}

export interface InProcessHubOptions {
  historySize: number;
  /** Rooms whose history is remembered; the least recently used is forgotten first. */
  maxRooms: number;
  /** None: rooms take any number of messages. */
  roomRateLimit?: RoomRateLimit;
}

/** Rooms of this process only: history is a bounded array per room, the rate a window per occupied room. */
export class InProcessHub implements ChatHub {
  private readonly members = new RoomMembers();
  private readonly histories = new Map<string, RoomEvent[]>();
  private readonly rates = new Map<string, RateWindow>();

  constructor(private readonly options: InProcessHubOptions) {}

  async publish(event: RoomEvent): Promise<boolean> {
    if (event.type === 'message') {
      if (!this.takeRoomRate(event.room)) return false;
      this.remember(event);
    }
    this.members.deliver(event.room, Buffer.from(JSON.stringify(event)));
    return true;
  }

  subscribe(room: string, deliver: Deliver): () => void {
    this.members.add(room, deliver);
    return () => {
      // An empty room forgets its rate window; it is recreated with the next member's first message.
      if (this.members.remove(room, deliver)) this.rates.delete(room);
    };
  }

  async history(room: string): Promise<RoomEvent[]> {
    return [...(this.histories.get(room) ?? [])];
  }

  async close(): Promise<void> {
    this.members.clear();
    this.histories.clear();
    this.rates.clear();
  }

  private takeRoomRate(room: string): boolean {
    const limit = this.options.roomRateLimit;
    if (!limit) return true;
    let window = this.rates.get(room);
    if (!window) this.rates.set(room, (window = new RateWindow(limit.messages, limit.intervalMs)));
    return window.take();
  }

  private remember(event: RoomEvent): void {
    if (this.options.historySize === 0) return;
    const kept = this.histories.get(event.room) ?? [];
    kept.push(event);
    if (kept.length > this.options.historySize) kept.shift();
    // Re-inserting moves the room to the end of the Map's order, so the first key is the least recently used.
    this.histories.delete(event.room);
    this.histories.set(event.room, kept);
    if (this.histories.size > this.options.maxRooms) {
      const oldest = this.histories.keys().next().value;
      if (oldest !== undefined) this.histories.delete(oldest);
    }
  }
}
