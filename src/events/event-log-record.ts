import { thisProcess } from '../lockers/process-identity.ts';
import type { EventLogDatabase } from './event-log-database.ts';
import { count, deliveryValues, idOf, INSERT_DELIVERY } from './event-log-rows.ts';
import type { ClaimedDelivery, ConfirmOptions, Confirmed, Delivery } from './event-log.ts';
import { fileOf, type MediaEvent } from './event.ts';

/**
 * Inside a transaction: the intent becomes the next event, with one pending delivery per hook;
 * those to the hooks of `take` are leased to this process at once, unless an older delivery of
 * the same file waits for that hook.
 */
export function recordEvent(
  db: EventLogDatabase,
  intentId: string,
  event: Omit<MediaEvent, 'id'>,
  hooks: string[],
  { version, take }: ConfirmOptions,
): Confirmed {
  const at = Date.parse(event.timestamp);
  const seq = db.run('INSERT INTO events (at, event) VALUES (?, ?)', at, JSON.stringify(event)).lastInsertRowid;
  const stored = { id: idOf(db, seq), ...event } as MediaEvent;
  db.run('DELETE FROM intents WHERE id = ?', intentId);
  const file = fileOf(stored);
  if (stored.type === 'media.created' && version !== undefined) db.run('INSERT OR REPLACE INTO created VALUES (?, ?)', file, version);
  if (stored.type === 'media.deleted') db.run('DELETE FROM created WHERE file = ?', file);
  const taken: ClaimedDelivery[] = [];
  for (const hook of hooks) {
    const delivery: Delivery = { hook, seq, file, attempts: 0, firstAt: at, nextAt: at, state: 'pending' };
    const older = db.get("SELECT 1 FROM deliveries WHERE hook = ? AND file = ? AND state = 'pending' AND seq < ?", hook, file, seq);
    if (take?.hooks.has(hook) && older === undefined) {
      const until = Date.now() + take.leaseMs;
      Object.assign(delivery, { nextAt: until, lease: { holder: thisProcess(), until } });
      taken.push({ delivery, event: stored });
    }
    db.run(INSERT_DELIVERY, ...deliveryValues(delivery));
  }
  count(db, 'pending', hooks.length);
  return { event: stored, taken };
}
