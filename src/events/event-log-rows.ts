import type { SQLInputValue } from 'node:sqlite';
import type { ProcessIdentity } from '../lockers/process-identity.ts';
import { DamagedLog } from './event-log-database.ts';
import type { Delivery } from './event-log.ts';
import type { MediaEvent } from './event.ts';
import type { EventLogDatabase } from './event-log-database.ts';

/** Deliveries with their events' JSON (as `event`), for deliveryOf and eventOf. */
export const WITH_EVENT =
  'SELECT d.seq, d.hook, d.file, d.state, d.next_at, d.attempts, d.first_at, d.last_error, d.lease, e.event FROM deliveries d JOIN events e ON e.seq = d.seq';
/** Puts a delivery, its values from deliveryValues. */
export const INSERT_DELIVERY = 'INSERT OR REPLACE INTO deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)';

/** A delivery as the values of an `INSERT INTO deliveries`, in column order. */
export function deliveryValues(delivery: Delivery): SQLInputValue[] {
  const { seq, hook, file, state, nextAt, attempts, firstAt, lastError, lease } = delivery;
  return [seq, hook, file, state, nextAt, attempts, firstAt, lastError ?? null, lease ? JSON.stringify(lease) : null];
}

/** A `deliveries` row back as a delivery; DamagedLog when it is not one this code wrote. */
export function deliveryOf(row: Record<string, unknown>): Delivery {
  const { seq, hook, file, state, next_at: nextAt, attempts, first_at: firstAt, last_error: lastError, lease } = row;
  if (typeof seq !== 'number' || typeof hook !== 'string' || typeof file !== 'string' || (state !== 'pending' && state !== 'failed'))
    throw new DamagedLog('the event log holds a malformed delivery');
  if (typeof nextAt !== 'number' || typeof attempts !== 'number' || typeof firstAt !== 'number')
    throw new DamagedLog('the event log holds a malformed delivery');
  const delivery: Delivery = { hook, seq, file, attempts, firstAt, nextAt, state };
  if (typeof lastError === 'string') delivery.lastError = lastError;
  if (lease !== null) delivery.lease = jsonOf(lease, 'lease') as { holder: ProcessIdentity; until: number };
  return delivery;
}

/** The JSON object a column holds; DamagedLog otherwise. */
export function jsonOf(value: unknown, what: string): object {
  if (typeof value === 'string') {
    try {
      const json = JSON.parse(value) as unknown;
      if (typeof json === 'object' && json !== null) return json;
    } catch {
      // Not JSON: bytes this code never wrote, reported below as damage.
    }
  }
  throw new DamagedLog(`the event log holds a malformed ${what}`);
}

export function idOf(db: EventLogDatabase, seq: number): string {
  return `evt_${db.instance}_${seq}`;
}

export function seqOf(db: EventLogDatabase, id: string): number | undefined {
  const match = /^evt_([0-9a-f]{8})_(\d{1,15})$/.exec(id);
  return match?.[1] === db.instance ? Number(match[2]) : undefined;
}

/** An `events` row (seq, event) back as the event. */
export function eventOf(db: EventLogDatabase, row: Record<string, unknown>): MediaEvent {
  return { id: idOf(db, row.seq as number), ...jsonOf(row.event, 'event') } as MediaEvent;
}

export function countsOf(db: EventLogDatabase): { pending: number; failed: number } {
  const counts = Object.fromEntries(
    db.all("SELECT key, value FROM meta WHERE key IN ('pending', 'failed')").map((row) => [row.key, row.value]),
  );
  return { pending: Number(counts.pending ?? 0), failed: Number(counts.failed ?? 0) };
}

/** Inside a transaction. */
export function count(db: EventLogDatabase, state: 'pending' | 'failed', change: number): void {
  if (change !== 0) db.run('UPDATE meta SET value = value + ? WHERE key = ?', change, state);
}
