/**
 * Receives events published to a room, oldest first: each the JSON text sent on the wire, encoded once
 * as UTF-8 for every member. Events published in the same turn of the event loop come as one batch,
 * so a member can write them to its socket at once.
 */
export type Deliver = (events: readonly Buffer[]) => void;

/** Events sent per turn of the event loop, all rooms and members together; the rest waits for the next turn. */
const TURN_BUDGET = 512;
/** Events sent for one room before the next room with waiting events has its turn. */
const ROOM_SLICE = 64;

interface Pending {
  events: Buffer[];
  recipients: Deliver[];
  next: number;
}

interface Room {
  members: Set<Deliver>;
  /** The members as an array, kept until they change: events that share it share a batch. */
  snapshot: Deliver[] | undefined;
}

/**
 * The members of each room and the delivery of room events to them. A large fan-out never holds the
 * event loop: after TURN_BUDGET events sent the rest waits for `setImmediate`, so HTTP requests and
 * incoming frames are served in between, and rooms take turns (ROOM_SLICE each), so a quiet room's
 * event never waits behind a busy room's backlog. Each room's events leave in publish order.
 */
export class RoomMembers {
  private readonly rooms = new Map<string, Room>();
  /** Rooms with events still to deliver, in the order they get their next turn. */
  private readonly lanes = new Map<string, Pending[]>();
  /** A drain is running or scheduled: new events just join their room's lane. */
  private busy = false;

  /** Adds a member; true when it is the room's first. */
  add(room: string, deliver: Deliver): boolean {
    const known = this.rooms.get(room);
    if (known) {
      known.members.add(deliver);
      known.snapshot = undefined;
      return false;
    }
    this.rooms.set(room, { members: new Set([deliver]), snapshot: undefined });
    return true;
  }

  /** Removes a member; true when the room is now empty. */
  remove(room: string, deliver: Deliver): boolean {
    const known = this.rooms.get(room);
    if (!known?.members.delete(deliver)) return false;
    known.snapshot = undefined;
    if (known.members.size > 0) return false;
    this.rooms.delete(room);
    return true;
  }

  /**
   * Delivers `data` to the room's members as of now (a copy: a delivery may drop a slow member, which
   * unsubscribes it meanwhile). On an idle process it goes out at once; while a fan-out is under way,
   * on a later turn, together with the other events of its room published meanwhile.
   */
  deliver(room: string, data: Buffer): void {
    const known = this.rooms.get(room);
    if (!known) return;
    const recipients = (known.snapshot ??= [...known.members]);
    const lane = this.lanes.get(room);
    const last = lane?.at(-1);
    if (last && last.recipients === recipients && last.next === 0) last.events.push(data);
    else if (lane) lane.push({ events: [data], recipients, next: 0 });
    else this.lanes.set(room, [{ events: [data], recipients, next: 0 }]);
    if (!this.busy) this.drain();
  }

  clear(): void {
    this.rooms.clear();
    this.lanes.clear();
  }

  /** Sends a turn's worth; runs again on the next turn while events wait or were sent in this one. */
  private drain(): void {
    this.busy = true;
    let budget = TURN_BUDGET;
    while (budget > 0) {
      const first = this.lanes.entries().next();
      if (first.done) break;
      const [room, lane] = first.value;
      budget -= serve(lane, Math.min(budget, ROOM_SLICE));
      // To the back of the rotation, or out when done.
      this.lanes.delete(room);
      if (lane.length > 0) this.lanes.set(room, lane);
    }
    // Even when all is sent, the next turn checks again: events published meanwhile then go out as one batch.
    if (this.lanes.size > 0 || budget < TURN_BUDGET) setImmediate(() => this.drain());
    else this.busy = false;
  }
}

/** Delivers events from the front of `lane` until about `count` have gone out; returns how many did. */
function serve(lane: Pending[], count: number): number {
  let made = 0;
  while (made < count && lane.length > 0) {
    const pending = lane[0]!;
    while (made < count && pending.next < pending.recipients.length) {
      pending.recipients[pending.next++]!(pending.events);
      made += pending.events.length;
    }
    if (pending.next === pending.recipients.length) lane.shift();
  }
  return made;
}
