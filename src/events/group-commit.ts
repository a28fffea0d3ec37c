import type { EventLogDatabase } from './event-log-database.ts';
import { isLogDamage } from './event-log-database.ts';
import type { EventLogKeeper } from './event-log-keeper.ts';

interface Waiting {
  write: (db: EventLogDatabase) => unknown;
  resolve: (value: never) => void;
  reject: (error: unknown) => void;
}

/**
 * Writes asked for in one turn of the event loop, made in one transaction and one sync of the log
 * (a group commit): uploads that finish together share a commit instead of queueing for one each.
 * Each write runs in a savepoint of its own, in the order asked, so one that throws is undone
 * alone and rejects alone; damage found by any goes to the keeper, which runs the whole group
 * again on the fresh log. Each resolves once its commit is on the disk.
 */
export class GroupCommit {
  private waiting: Waiting[] = [];
  /** The sync of the latest group, settled or not. */
  private lastSync: Promise<unknown> = Promise.resolve();

  constructor(private readonly keeper: EventLogKeeper) {}

  add<T>(write: (db: EventLogDatabase) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.waiting.length === 0) setImmediate(() => this.commit());
      this.waiting.push({ write, resolve: resolve as (value: never) => void, reject });
    });
  }

  /** Commits what waits now and resolves once every group is on the disk (before the log closes). */
  async settle(): Promise<void> {
    this.commit();
    await this.lastSync;
  }

  private commit(): void {
    const group = this.waiting;
    if (group.length === 0) return;
    this.waiting = [];
    let outcomes: Array<{ value: unknown } | { error: unknown }>;
    let synced: Promise<void>;
    try {
      [outcomes, synced] = this.keeper.use(
        (db) => [db.transaction(() => group.map(({ write }) => inSavepoint(db, write))), db.synced()] as const,
      );
    } catch (error) {
      for (const { reject } of group) reject(error);
      return;
    }
    this.lastSync = synced.catch(() => undefined);
    synced.then(
      () =>
        group.forEach(({ resolve, reject }, i) =>
          'error' in outcomes[i]! ? reject(outcomes[i].error) : resolve(outcomes[i]!.value as never),
        ),
      (error: unknown) => group.forEach(({ reject }) => reject(error)),
    );
  }
}

function inSavepoint(db: EventLogDatabase, write: (db: EventLogDatabase) => unknown): { value: unknown } | { error: unknown } {
  db.run('SAVEPOINT one');
  try {
    const value = write(db);
    db.run('RELEASE one');
    return { value };
  } catch (error) {
    if (isLogDamage(error)) throw error;
    db.run('ROLLBACK TO one');
    db.run('RELEASE one');
    return { error };
  }
}
