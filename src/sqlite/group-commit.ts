/** What one write of a group came to. */
export type Outcome = { value: unknown } | { error: unknown };

/** Makes one group of writes in one transaction; `synced` resolves once that transaction is as durable as its store makes them. */
export type CommitGroup<Db> = (writes: Array<(db: Db) => unknown>) => { outcomes: Outcome[]; synced: Promise<void> };

interface Waiting<Db> {
  write: (db: Db) => unknown;
  resolve: (value: never) => void;
  reject: (error: unknown) => void;
}

/**
 * Writes asked for in one turn of the event loop, made together in one transaction (a group
 * commit): requests that finish together share a commit instead of queueing for one each. The
 * writes run in the order asked; each is answered with its own outcome once the group's commit is
 * durable. A group that cannot be made at all rejects each of its writes.
 */
export class GroupCommit<Db> {
  private waiting: Array<Waiting<Db>> = [];
  /** The latest group's sync, settled or not. */
  private lastSync: Promise<unknown> = Promise.resolve();

  constructor(private readonly commitGroup: CommitGroup<Db>) {}

  add<T>(write: (db: Db) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.waiting.length === 0) setImmediate(() => this.commit());
      this.waiting.push({ write, resolve: resolve as (value: never) => void, reject });
    });
  }

  /** Commits what waits at once and resolves once every group is durable (before the store closes). */
  async settle(): Promise<void> {
    this.commit();
    await this.lastSync;
  }

  private commit(): void {
    const group = this.waiting;
    if (group.length === 0) return;
    this.waiting = [];
    let made: ReturnType<CommitGroup<Db>>;
    try {
      made = this.commitGroup(group.map(({ write }) => write));
    } catch (error) {
      for (const { reject } of group) reject(error);
      return;
    }
    const { outcomes, synced } = made;
    this.lastSync = synced.catch(() => undefined);
    synced.then(
      () => group.forEach(({ resolve, reject }, i) => answer(outcomes[i]!, resolve, reject)),
      (error: unknown) => group.forEach(({ reject }) => reject(error)),
    );
  }
}

function answer(outcome: Outcome, resolve: (value: never) => void, reject: (error: unknown) => void): void {
  if ('error' in outcome) reject(outcome.error);
  else resolve(outcome.value as never);
}

/**
 * Inside a transaction: each write in a savepoint of its own, so one that throws is undone alone.
 * An error `fatal` says ends the transaction (rethrown: the whole group is undone).
 */
export function eachInSavepoint(exec: (sql: string) => void, writes: Array<() => unknown>, fatal: (error: unknown) => boolean): Outcome[] {
  return writes.map((write) => {
    exec('SAVEPOINT one');
    try {
      const value = write();
      exec('RELEASE one');
      return { value };
    } catch (error) {
      if (fatal(error)) throw error;
      exec('ROLLBACK TO one');
      exec('RELEASE one');
      return { error };
    }
  });
}
