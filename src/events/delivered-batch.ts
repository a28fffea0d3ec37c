import type { Delivery, EventLog } from './event-log.ts';

/**
 * The tries answered 2xx in one turn of the event loop, written to the log in one step: one
 * transaction instead of one per try. Each caller resolves once its own delivery is written (a
 * crash before that only sends it again, which at-least-once allows).
 */
export class DeliveredBatch {
  private waiting: Delivery[] = [];
  private written?: Promise<void>;

  constructor(private readonly log: EventLog) {}

  add(delivery: Delivery): Promise<void> {
    this.waiting.push(delivery);
    this.written ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      const batch = this.waiting;
      this.waiting = [];
      this.written = undefined;
      return this.log.delivered(batch);
    });
    return this.written;
  }
}
