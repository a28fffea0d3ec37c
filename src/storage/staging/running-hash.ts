import { MessageChannel, type TransferListItem } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { createWorkerPool } from '../../worker-pool.ts';
import type { RunningHashTask, Verdict } from './running-hash.worker.ts';

/** Size and SHA-256 of a staged upload's bytes. */
export interface Digest {
  size: number;
  sha256: string;
}

/** The end of one run of bytes being hashed: it must be told, whatever happens (the upload's next run waits for it). */
export interface RunHash {
  /** The bytes were written and count: the upload's bytes now end at `position`. */
  counted(position: number): void;
  /** The bytes do not count: the upload's hash stays where it was. */
  refused(): void;
}

const NOT_HASHED: RunHash = { counted: () => undefined, refused: () => undefined };

/**
 * The one way bytes are hashed while they arrive (staged uploads of every backend, resumable
 * chunks): a thread of its own reads each file behind its writer, from the page cache, so the
 * event loop receiving the bytes neither hashes nor copies them, and the publish needs no second
 * pass over the file. An upload is written in runs (a staged upload is one run, a resumable upload
 * one per chunk); its hash moves on only by runs that counted, in order, in this process;
 * otherwise there is no digest and the publish hashes the file.
 */
export class RunningHash {
  private static process: RunningHash | undefined;
  private pool: Piscina | undefined;
  /** Owners that have not closed it yet: the thread stops when the last one closes. */
  private users = 1;
  /** Where each upload's hash will be once its queued tasks ran. */
  private readonly expected = new Map<string, number>();
  /** Each upload's last task: its tasks run one after another. */
  private readonly queued = new Map<string, Promise<string | undefined>>();

  /**
   * The process's running hash, shared by its staging area and resumable store: one hashing thread
   * per process, as each thread costs its own memory. Each owner closes it once.
   */
  static shared(): RunningHash {
    if (RunningHash.process) RunningHash.process.users++;
    else RunningHash.process = new RunningHash();
    return RunningHash.process;
  }

  /** Hashes what is written to `file` from `from` on, until told how the run ended. */
  follow(id: string, file: string, from: number): RunHash {
    if (from !== 0 && this.expected.get(id) !== from) {
      this.forget(id);
      return NOT_HASHED;
    }
    const { port1, port2 } = new MessageChannel();
    void this.enqueue({ op: 'follow', id, file, from, port: port2 }, [port2]).finally(() => port1.close());
    const tell = (verdict: Verdict) => port1.postMessage(verdict);
    return {
      counted: (position) => {
        this.expected.set(id, position);
        tell({ counted: position });
      },
      refused: () => {
        this.expected.set(id, from);
        tell({ refused: true });
      },
    };
  }

  /** The digest of the complete upload, when all its `size` bytes were hashed here; forgets it. */
  async digest(id: string, size: number): Promise<Digest | undefined> {
    const hashed = this.expected.get(id) === size;
    this.expected.delete(id);
    const sha256 = hashed ? await this.enqueue({ op: 'digest', id, size }) : undefined;
    return sha256 === undefined ? undefined : { size, sha256 };
  }

  forget(id: string): void {
    if (this.expected.delete(id)) void this.enqueue({ op: 'forget', id });
  }

  async close(): Promise<void> {
    if (--this.users > 0) return;
    if (RunningHash.process === this) RunningHash.process = undefined;
    await this.pool?.destroy();
    this.pool = undefined;
  }

  private enqueue(task: RunningHashTask, transferList: TransferListItem[] = []): Promise<string | undefined> {
    // Started on the first large upload: a service that takes none has no thread for it. Each run
    // being written is a task for as long as it lasts, so the thread takes any number at once.
    this.pool ??= createWorkerPool(new URL('./running-hash.worker.ts', import.meta.url), 1, { tasksPerThread: Infinity });
    const pool = this.pool;
    // A failed task (the thread gone) loses the hash: the publish then hashes the file.
    const run = (this.queued.get(task.id) ?? Promise.resolve(undefined))
      .then(() => pool.run(task, { transferList }) as Promise<string | undefined>)
      .catch(() => {
        this.expected.delete(task.id);
        return undefined;
      });
    this.queued.set(task.id, run);
    void run.then(() => {
      if (this.queued.get(task.id) === run) this.queued.delete(task.id);
    });
    return run;
  }
}
