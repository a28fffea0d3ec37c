import type { EventLogDatabase } from './event-log-database.ts';
import { count, countsOf } from './event-log-rows.ts';

/**
 * Inside a transaction: drops the events past `retainMs` in order, up to the first one still
 * retained or still to be delivered (with their failed deliveries), then the deliveries past
 * `maxPending`, oldest failed first, then oldest pending; how many deliveries of each state went.
 */
export function pruneLog(db: EventLogDatabase, now: number, retainMs: number, maxPending: number): { failed: number; pending: number } {
  const firstPending = db.get("SELECT min(seq) AS seq FROM deliveries WHERE state = 'pending'")?.seq;
  const firstRetained = db.get('SELECT min(seq) AS seq FROM events WHERE at > ?', now - retainMs)?.seq;
  const end = Math.min(...[firstPending, firstRetained].map((seq) => (typeof seq === 'number' ? seq : Number.MAX_SAFE_INTEGER)));
  count(db, 'failed', -db.run('DELETE FROM deliveries WHERE seq < ?', end).changes);
  db.run('DELETE FROM events WHERE seq < ?', end);
  const dropped = { failed: 0, pending: 0 };
  const { pending, failed } = countsOf(db);
  let excess = pending + failed - maxPending;
  for (const state of ['failed', 'pending'] as const) {
    if (excess <= 0) break;
    const oldest = 'SELECT seq, hook FROM deliveries WHERE state = ? ORDER BY seq, hook LIMIT ?';
    dropped[state] = db.run(`DELETE FROM deliveries WHERE (seq, hook) IN (${oldest})`, state, excess).changes;
    count(db, state, -dropped[state]);
    excess -= dropped[state];
  }
  return dropped;
}
