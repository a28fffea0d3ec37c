import { randomUUID } from 'node:crypto';
import { diedOnThisHost } from '../lockers/process-identity.ts';
import { EventLogKeeper, type EventLogEvents } from './event-log-keeper.ts';
import {
  count,
  countsOf,
  INSERT_DELIVERY,
  WITH_EVENT,
  deliveryOf,
  deliveryValues,
  eventOf,
  idOf,
  jsonOf,
  seqOf,
} from './event-log-rows.ts';
import type { ClaimedDelivery, ConfirmOptions, Confirmed, Delivery, EventLog, Intent } from './event-log.ts';
import type { MediaEvent, UnnumberedEvent } from './event.ts';
import { claimDue } from './event-log-claim.ts';
import { pruneLog } from './event-log-prune.ts';
import { recordEvent } from './event-log-record.ts';
import { eachInSavepoint, GroupCommit } from '../sqlite/group-commit.ts';
import { isLogDamage, type EventLogDatabase } from './event-log-database.ts';

/**
 * The event log of one host in SQLite (node:sqlite), `<root>/.events/events.sqlite`: shared by
 * the processes of the host through its WAL; every write is one transaction, on the disk when it
 * resolves. A log found damaged is set aside and a fresh one started (event-log-keeper.ts).
 */
export class LocalEventLog implements EventLog {
  /** Intents and events, written in groups (sqlite/group-commit.ts), each group on the disk before its writes resolve. */
  private readonly group: GroupCommit<EventLogDatabase>;

  private constructor(private readonly keeper: EventLogKeeper) {
    this.group = eventLogGroup(keeper);
  }

  static async open(directory: string, events: EventLogEvents = {}): Promise<LocalEventLog> {
    return new LocalEventLog(EventLogKeeper.open(directory, events));
  }

  async intend(intent: Intent): Promise<string> {
    const id = randomUUID();
    await this.group.add((db) => db.run('INSERT INTO intents VALUES (?, ?)', id, JSON.stringify(intent)));
    return id;
  }

  async confirm(intentId: string, event: UnnumberedEvent, hooks: string[], options: ConfirmOptions = {}): Promise<Confirmed> {
    return this.group.add((db) => recordEvent(db, intentId, event, hooks, options));
  }

  async drop(intentId: string): Promise<void> {
    this.keeper.use((db) => db.run('DELETE FROM intents WHERE id = ?', intentId));
  }

  async intents(): Promise<Array<{ id: string; intent: Intent }>> {
    return this.keeper.use((db) =>
      db.all('SELECT id, intent FROM intents').map((row) => ({ id: String(row.id), intent: jsonOf(row.intent, 'intent') as Intent })),
    );
  }

  async createdVersion(file: string): Promise<string | undefined> {
    return this.keeper.use((db) => db.get('SELECT version FROM created WHERE file = ?', file)?.version as string | undefined);
  }

  async after(id: string | undefined, limit: number): Promise<MediaEvent[]> {
    return this.keeper.use((db) => {
      const seq = id === undefined ? undefined : seqOf(db, id);
      return db.all('SELECT seq, event FROM events WHERE seq > ? ORDER BY seq LIMIT ?', seq ?? 0, limit).map((row) => eventOf(db, row));
    });
  }

  async event(id: string): Promise<MediaEvent | undefined> {
    return this.keeper.use((db) => {
      const row = db.get('SELECT seq, event FROM events WHERE seq = ?', seqOf(db, id) ?? -1);
      return row && eventOf(db, row);
    });
  }

  async latestId(): Promise<string | undefined> {
    return this.keeper.use((db) => {
      const seq = db.get('SELECT max(seq) AS seq FROM events')?.seq;
      return typeof seq === 'number' ? idOf(db, seq) : undefined;
    });
  }

  async claim(now: number, want: (hook: string) => number, leaseMs: number): Promise<ClaimedDelivery[]> {
    return this.keeper.use((db) => {
      // Most looks find nothing due (a new event's deliveries are taken as it is recorded): a read, not the write lock.
      if (!db.get("SELECT 1 FROM deliveries WHERE state = 'pending' AND next_at <= ? LIMIT 1", now)) return [];
      return db.transaction(() => claimDue(db, now, want, leaseMs));
    });
  }

  async delivered(deliveries: Delivery[]): Promise<void> {
    this.keeper.use((db) =>
      db.transaction(() => {
        const gone = { pending: 0, failed: 0 };
        for (const delivery of deliveries) {
          const row = db.get('DELETE FROM deliveries WHERE seq = ? AND hook = ? RETURNING state', delivery.seq, delivery.hook);
          if (row) gone[row.state === 'failed' ? 'failed' : 'pending'] += 1;
        }
        count(db, 'pending', -gone.pending);
        count(db, 'failed', -gone.failed);
      }),
    );
  }

  async reschedule(delivery: Delivery, nextAt: number, error: string): Promise<void> {
    const next: Delivery = { ...delivery, attempts: delivery.attempts + 1, nextAt, lastError: error, lease: undefined };
    this.keeper.use((db) =>
      db.transaction(() => {
        const current = db.get('SELECT state FROM deliveries WHERE seq = ? AND hook = ?', delivery.seq, delivery.hook);
        if (current?.state === 'pending') db.run(INSERT_DELIVERY, ...deliveryValues({ ...next, state: 'pending' }));
      }),
    );
  }

  async fail(delivery: Delivery, error: string): Promise<void> {
    const failed: Delivery = { ...delivery, attempts: delivery.attempts + 1, state: 'failed', lastError: error, lease: undefined };
    this.keeper.use((db) =>
      db.transaction(() => {
        const current = db.get('SELECT state FROM deliveries WHERE seq = ? AND hook = ?', delivery.seq, delivery.hook);
        if (current?.state !== 'pending') return;
        db.run(INSERT_DELIVERY, ...deliveryValues(failed));
        count(db, 'pending', -1);
        count(db, 'failed', 1);
      }),
    );
  }

  async failed(limit: number): Promise<ClaimedDelivery[]> {
    return this.keeper.use((db) =>
      db
        .all(`${WITH_EVENT} WHERE d.state = 'failed' ORDER BY d.seq, d.hook LIMIT ?`, limit)
        .map((row) => ({ delivery: deliveryOf(row), event: eventOf(db, row) })),
    );
  }

  async retry(id: string): Promise<number> {
    return this.keeper.use((db) => {
      const seq = seqOf(db, id);
      if (seq === undefined) return 0;
      return db.transaction(() => {
        const now = Date.now();
        const again = db.run(
          "UPDATE deliveries SET state = 'pending', attempts = 0, first_at = ?, next_at = ?, last_error = NULL, lease = NULL WHERE seq = ? AND state = 'failed'",
          now,
          now,
          seq,
        ).changes;
        count(db, 'failed', -again);
        count(db, 'pending', again);
        return again;
      });
    });
  }

  async counts(): Promise<{ pending: number; failed: number }> {
    return this.keeper.use(countsOf);
  }

  async prune(now: number, retainMs: number, maxPending: number): Promise<{ failed: number; pending: number }> {
    return this.keeper.use((db) => db.transaction(() => pruneLog(db, now, retainMs, maxPending)));
  }

  async releaseDead(): Promise<number> {
    return this.keeper.use((db) =>
      db.transaction(() => {
        let released = 0;
        for (const row of db.all("SELECT seq, hook, lease FROM deliveries WHERE state = 'pending' AND lease IS NOT NULL")) {
          const lease = jsonOf(row.lease, 'lease') as Delivery['lease'];
          if (!lease || !diedOnThisHost(lease.holder)) continue;
          db.run(
            'UPDATE deliveries SET next_at = ?, lease = NULL WHERE seq = ? AND hook = ?',
            Date.now(),
            row.seq as number,
            row.hook as string,
          );
          released += 1;
        }
        return released;
      }),
    );
  }

  async close(): Promise<void> {
    await this.group.settle();
    this.keeper.close();
  }
}

/** Groups of writes to the kept log; damage found by any write goes to the keeper, which makes the whole group again on a fresh log. */
export function eventLogGroup(keeper: EventLogKeeper): GroupCommit<EventLogDatabase> {
  return new GroupCommit((writes) =>
    keeper.use((db) => {
      const outcomes = db.transaction(() =>
        eachInSavepoint(
          (sql) => db.run(sql),
          writes.map((write) => () => write(db)),
          isLogDamage,
        ),
      );
      return { outcomes, synced: db.synced() };
    }),
  );
}
