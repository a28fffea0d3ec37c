import type { RoomEvent } from './protocol.ts';

/** Receives each event published to a room, already serialized as the JSON text sent on the wire. */
export type Deliver = (data: string) => void;

/**
 * Where room events meet their members. The protocol code only publishes, subscribes and reads
 * history, so an implementation that shares rooms between processes (Redis pub/sub for the
 * fan-out, a capped list per room for the history) can replace the in-process one unchanged.
 *
 * Contract: every subscriber of `event.room` (on every process sharing the hub) receives the event
 * once, in publish order per publisher; `message` events are kept in the room's history.
 */
export interface ChatHub {
  publish(event: RoomEvent): Promise<void>;
  /** Starts delivering the room's events to `deliver`; the returned function stops it. */
  subscribe(room: string, deliver: Deliver): () => void;
  /** The room's last `message` events, oldest first. */
  history(room: string): Promise<RoomEvent[]>;
  close(): Promise<void>;
}

export interface InProcessHubOptions {
  historySize: number;
  /** Rooms whose history is remembered; the least recently used is forgotten first. */
  maxRooms: number;
}

/** Rooms of this process only: delivery is synchronous, history is a bounded array per room. */
export class InProcessHub implements ChatHub {
  private readonly members = new Map<string, Set<Deliver>>();
  private readonly histories = new Map<string, RoomEvent[]>();

  constructor(private readonly options: InProcessHubOptions) {}

  async publish(event: RoomEvent): Promise<void> {
    if (event.type === 'message') this.remember(event);
    const data = JSON.stringify(event);
    // A copy: a delivery may drop a slow member, which unsubscribes it while we iterate.
    for (const deliver of [...(this.members.get(event.room) ?? [])]) deliver(data);
  }

  subscribe(room: string, deliver: Deliver): () => void {
    let set = this.members.get(room);
    if (!set) this.members.set(room, (set = new Set()));
    set.add(deliver);
    return () => {
      set.delete(deliver);
      if (set.size === 0 && this.members.get(room) === set) this.members.delete(room);
    };
  }

  async history(room: string): Promise<RoomEvent[]> {
    return [...(this.histories.get(room) ?? [])];
  }

  async close(): Promise<void> {
    this.members.clear();
    this.histories.clear();
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
