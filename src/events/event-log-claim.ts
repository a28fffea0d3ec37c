import { thisProcess } from '../lockers/process-identity.ts';
import type { EventLogDatabase } from './event-log-database.ts';
import { deliveryOf, deliveryValues, eventOf, INSERT_DELIVERY, WITH_EVENT } from './event-log-rows.ts';
import type { ClaimedDelivery, Delivery } from './event-log.ts';

/** Deliveries a claim looks at: enough for a busy tick, few enough to keep the write lock short. */
const CLAIM_SCAN = 1000;

/**
 * Inside a transaction: due deliveries leased to this process until `now + leaseMs`, at most
 * `want(hook)` per hook, and of one file and hook only the oldest pending one (in order per file).
 */
export function claimDue(db: EventLogDatabase, now: number, want: (hook: string) => number, leaseMs: number): ClaimedDelivery[] {
  const taken = new Map<string, number>();
  const claimed: ClaimedDelivery[] = [];
  // Keys first (the due index covers them): rows and events are read only for what is taken.
  const due = "SELECT seq, hook, file FROM deliveries WHERE state = 'pending' AND next_at <= ? ORDER BY next_at LIMIT ?";
  for (const key of db.all(due, now, CLAIM_SCAN)) {
    const [seq, hook, file] = [key.seq as number, key.hook as string, key.file as string];
    if ((taken.get(hook) ?? 0) >= want(hook)) continue;
    // In order per file: only the oldest pending delivery of this file to this hook goes.
    const head = db.get("SELECT min(seq) AS seq FROM deliveries WHERE hook = ? AND file = ? AND state = 'pending'", hook, file);
    if (head?.seq !== seq) continue;
    const row = db.get(`${WITH_EVENT} WHERE d.seq = ? AND d.hook = ?`, seq, hook);
    if (!row) continue;
    const delivery = deliveryOf(row);
    const until = now + leaseMs;
    const leased: Delivery = { ...delivery, nextAt: until, lease: { holder: thisProcess(), until } };
    db.run(INSERT_DELIVERY, ...deliveryValues(leased));
    taken.set(hook, (taken.get(hook) ?? 0) + 1);
    claimed.push({ delivery: leased, event: eventOf(db, row) });
  }
  return claimed;
}
