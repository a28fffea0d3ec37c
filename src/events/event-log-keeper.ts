import fs from 'node:fs';
import path from 'node:path';
import { EventLogDatabase, isLogDamage } from './event-log-database.ts';

/** The log's SQLite file in its directory (`<root>/.events`). */
export const EVENT_LOG_FILE = 'events.sqlite';

export interface EventLogEvents {
  /** The log was found damaged: moved to `keptAt` for inspection, and a fresh log started. */
  onDamage?: (problem: string, keptAt: string) => void;
}

/**
 * Keeps a sound event log open in `directory`: one found damaged (at start by SQLite's
 * quick_check, or by any read or write later) is set aside, renamed
 * `<directory>-damaged-<time>-<pid>` and kept, and a fresh log is started in its place. Events,
 * unlike the metadata index, cannot be rebuilt: what the damaged log held stays in the kept copy.
 */
export class EventLogKeeper {
  private readonly file: string;

  private constructor(
    private readonly directory: string,
    private current: EventLogDatabase,
    private readonly events: EventLogEvents,
  ) {
    this.file = path.join(directory, EVENT_LOG_FILE);
  }

  static open(directory: string, events: EventLogEvents): EventLogKeeper {
    fs.mkdirSync(directory, { recursive: true });
    const problem = EventLogDatabase.problem(path.join(directory, EVENT_LOG_FILE));
    if (problem) setAside(directory, problem, events);
    return new EventLogKeeper(directory, openIn(directory), events);
  }

  /**
   * `op` on the log. When it finds the log damaged, the log is set aside and `op` runs once more
   * on the fresh one (an intent is taken there, a confirm records its event there).
   */
  use<T>(op: (db: EventLogDatabase) => T): T {
    // Another process of this host set a damaged log aside: this one goes on in the fresh log too.
    if (inoOf(this.file) !== this.current.ino) this.replace();
    try {
      return op(this.current);
    } catch (error) {
      if (!isLogDamage(error)) throw error;
      this.current.whileLocked(() => {
        // Unless another process of this host set it aside already.
        if (inoOf(this.file) === this.current.ino) setAside(this.directory, describe(error), this.events);
      });
      this.replace();
      return op(this.current);
    }
  }

  close(): void {
    this.current.close();
  }

  private replace(): void {
    const old = this.current;
    this.current = openIn(this.directory);
    old.close();
  }
}

function openIn(directory: string): EventLogDatabase {
  fs.mkdirSync(directory, { recursive: true });
  return EventLogDatabase.open(path.join(directory, EVENT_LOG_FILE));
}

function inoOf(file: string): number | undefined {
  return fs.statSync(file, { throwIfNoEntry: false })?.ino;
}

function setAside(directory: string, problem: string, events: EventLogEvents): void {
  const keptAt = `${directory}-damaged-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
  fs.renameSync(directory, keptAt);
  events.onDamage?.(problem, keptAt);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
