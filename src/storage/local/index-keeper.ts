import fs from 'node:fs/promises';
import path from 'node:path';
import { checkIndex } from './index-check.ts';
import { MetadataIndex } from './metadata-index.ts';

/** The index's data file in its directory. */
export const INDEX_FILE = 'metadata.sqlite';

/** The LMDB index of earlier versions: no longer read (entries are described anew as files are met), so removed. */
const EARLIER_INDEX_FILES = ['metadata.mdb', 'metadata.mdb-lock'];

export interface IndexKeeperEvents {
  /** A write to the index failed (a full disk): it is caught up later from the files. */
  onIndexError?: (error: unknown) => void;
  /** The index failed its check: it was moved to `keptAt` for inspection and is rebuilt from the files. */
  onIndexDamaged?: (problem: string, keptAt: string) => void;
}

/**
 * Keeps a sound metadata index open in `<root>/<directory>`: one that fails its check, at start
 * or while running, is set aside (renamed `<directory>-damaged-<time>-<pid>`, kept for
 * inspection) and replaced by an empty one, which `rebuild` fills from the files. Until then
 * every read finds no entry and the store answers from the files themselves.
 */
export class IndexKeeper {
  private healing: Promise<void> | undefined;
  private rebuilding: Promise<void> | undefined;
  private closed = false;
  private rebuild: (() => Promise<void>) | undefined;
  /** Set aside before a rebuild could be started: the rebuild waits for `rebuildWith`. */
  private rebuildPending = false;

  private constructor(
    private readonly directory: string,
    private current: MetadataIndex,
    private readonly events: IndexKeeperEvents,
  ) {}

  static async open(directory: string, events: IndexKeeperEvents): Promise<IndexKeeper> {
    await fs.mkdir(directory, { recursive: true });
    await Promise.all(EARLIER_INDEX_FILES.map((name) => fs.rm(path.join(directory, name), { force: true })));
    const problem = checkIndex(path.join(directory, INDEX_FILE));
    if (problem) await setAside(directory, problem, events);
    await fs.mkdir(directory, { recursive: true });
    let keeper: IndexKeeper | undefined = undefined;
    const index: MetadataIndex = openIndex(directory, events, (error) => keeper?.damaged(index, error));
    keeper = new IndexKeeper(directory, index, events);
    keeper.rebuildPending = problem !== undefined;
    return keeper;
  }

  /** How to fill a fresh index from the files; starts now if the index was set aside at open. */
  rebuildWith(rebuild: () => Promise<void>): void {
    this.rebuild = rebuild;
    if (this.rebuildPending) this.startRebuild();
  }

  get index(): MetadataIndex {
    return this.current;
  }

  /** Problems for /readyz: the index being rebuilt from the files. */
  problems(): string[] {
    if (this.healing || this.rebuilding) return ['metadata index damaged: rebuilding it from the files'];
    return [];
  }

  /** Resolves when no heal or rebuild is running (tests, and close). */
  async settled(): Promise<void> {
    while (this.healing || this.rebuilding) await Promise.allSettled([this.healing, this.rebuilding]);
  }

  /** Ends repairs (a rebuild stops after its current files). */
  async stop(): Promise<void> {
    this.closed = true;
    await this.settled();
  }

  async close(): Promise<void> {
    await this.stop();
    await this.current.close();
  }

  /** True once stopped: a rebuild ends early. */
  get stopping(): boolean {
    return this.closed;
  }

  /** Called by the index that found itself damaged; reads go on finding no entries meanwhile. */
  private damaged(damaged: MetadataIndex, error: unknown): void {
    if (damaged !== this.current || this.healing || this.closed) return;
    this.healing = this.heal(damaged, describe(error)).finally(() => (this.healing = undefined));
  }

  private async heal(damaged: MetadataIndex, problem: string): Promise<void> {
    try {
      // Another process of the same root may have set it aside already: then its fresh one is checked instead.
      const sameFile = await damaged.isFileAt(path.join(this.directory, INDEX_FILE));
      const again = sameFile ? problem : checkIndex(path.join(this.directory, INDEX_FILE));
      if (again) await setAside(this.directory, again, this.events);
      await fs.mkdir(this.directory, { recursive: true });
      const fresh: MetadataIndex = openIndex(this.directory, this.events, (error) => this.damaged(fresh, error));
      this.current = fresh;
      await damaged.close();
      if (again) this.startRebuild();
    } catch (error) {
      this.events.onIndexError?.(error);
    }
  }

  private startRebuild(): void {
    const rebuild = this.rebuild;
    this.rebuildPending = rebuild === undefined;
    if (!rebuild || this.rebuilding) return;
    this.rebuilding = Promise.resolve()
      .then(rebuild)
      .catch((error: unknown) => this.events.onIndexError?.(error))
      .finally(() => (this.rebuilding = undefined));
  }
}

function openIndex(directory: string, events: IndexKeeperEvents, onDamage: (error: unknown) => void): MetadataIndex {
  return MetadataIndex.open(path.join(directory, INDEX_FILE), {
    onWriteError: events.onIndexError,
    onDamage,
  });
}

async function setAside(directory: string, problem: string, events: IndexKeeperEvents): Promise<void> {
  const keptAt = `${directory}-damaged-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
  await fs.rename(directory, keptAt);
  events.onIndexDamaged?.(problem, keptAt);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
