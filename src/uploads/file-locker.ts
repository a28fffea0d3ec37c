import { setTimeout as sleep } from 'node:timers/promises';
import type { Lock, Locker, RequestRelease } from '@tus/utils';
import lockfile from 'proper-lockfile';
import { AppError } from '../errors.ts';

const RETRY_MS = 50;
/** proper-lockfile refreshes a held lock's mtime; one not refreshed this long is a dead holder's. */
const STALE_MS = 10_000;

/** Holders in this process, so a new request can ask the old one to let go (as tus's MemoryLocker does). */
const holders = new Map<string, RequestRelease>();

/**
 * One lock per upload across the processes of a host: a lock directory beside the upload's record
 * (proper-lockfile: mkdir is atomic, a holder that died is detected by its stale mtime). A request
 * that cannot get the lock within `timeoutMs` answers 423, which tus clients retry.
 */
export class FileLocker implements Locker {
  constructor(
    private readonly lockPath: (id: string) => string,
    private readonly timeoutMs: number,
  ) {}

  newLock(id: string): Lock {
    return new FileLock(this.lockPath(id), this.timeoutMs);
  }
}

class FileLock implements Lock {
  private release?: () => Promise<void>;
  private requestRelease?: RequestRelease;

  constructor(
    private readonly path: string,
    private readonly timeoutMs: number,
  ) {}

  async lock(signal: AbortSignal, requestRelease: RequestRelease): Promise<void> {
    // A request of this process still holding the upload (its client gone): ask it to finish.
    // A caller that will not wait (the expiry sweep, with an aborted signal) leaves it alone.
    if (!signal.aborted) await holders.get(this.path)?.();
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      try {
        this.release = await lockfile.lock(this.path, {
          realpath: false,
          lockfilePath: this.path,
          stale: STALE_MS,
          // A lock found compromised (its directory removed, its refresh late) is given up, not thrown.
          onCompromised: () => undefined,
        });
        this.requestRelease = requestRelease;
        holders.set(this.path, requestRelease);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      }
      if (signal.aborted || Date.now() > deadline) throw new AppError('UPLOAD_LOCKED');
      await sleep(RETRY_MS);
    }
  }

  async unlock(): Promise<void> {
    if (holders.get(this.path) === this.requestRelease) holders.delete(this.path);
    await this.release?.().catch(() => undefined);
    this.release = undefined;
  }
}
