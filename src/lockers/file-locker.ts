import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Lock, Locker, RequestRelease } from '@tus/utils';
import { AppError } from '../errors.ts';
import { diedOnThisHost, holderOf, holderToken } from './process-identity.ts';

const RETRY_MS = 50;
/** A takeover is a readlink and an unlink: a guard older than this is one whose taker died in between. */
const TAKEOVER_STALE_MS = 1000;

/** Holders in this process, so a new request can ask the old one to let go (as tus's MemoryLocker does). */
const holders = new Map<string, RequestRelease>();

/**
 * One lock per upload across the processes of a host: a symbolic link beside the upload's record
 * whose target names the holder (host, pid, start tick, token). symlink() is atomic and the holder
 * is read with the link in one readlink(), so a lock whose holder died (SIGKILL, power cut of a
 * worker) is taken over at once instead of after a staleness delay. A request that cannot get the
 * lock within `timeoutMs` answers 423, which tus clients retry.
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
  private readonly token = holderToken(randomUUID());
  private held = false;
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
    while (!(await this.tryLock())) {
      if (signal.aborted || Date.now() > deadline) throw new AppError('UPLOAD_LOCKED');
      await sleep(RETRY_MS);
    }
    this.held = true;
    this.requestRelease = requestRelease;
    holders.set(this.path, requestRelease);
  }

  async unlock(): Promise<void> {
    if (holders.get(this.path) === this.requestRelease) holders.delete(this.path);
    if (!this.held) return;
    this.held = false;
    // Only our own link: one taken over meanwhile (this process was thought dead) is the new holder's.
    if ((await readHolder(this.path)) === this.token) await fs.unlink(this.path).catch(() => undefined);
  }

  /** One try; a lock whose holder died on this host is removed and tried once more. */
  private async tryLock(): Promise<boolean> {
    if (await this.link()) return true;
    const value = await readHolder(this.path);
    if (value === LEGACY) await removeLegacy(this.path);
    else if (value !== undefined) {
      const holder = holderOf(value);
      if (!holder || !diedOnThisHost(holder)) return false;
      await takeOver(this.path, value);
    }
    return this.link();
  }

  private async link(): Promise<boolean> {
    try {
      await fs.symlink(this.token, this.path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      return false;
    }
  }
}

/** What readHolder answers for a lock that is not a link: a lock directory of an earlier version (proper-lockfile). */
const LEGACY = Symbol('legacy lock');
/** proper-lockfile's staleness: such a lock not refreshed this long had a dead holder. */
const LEGACY_STALE_MS = 10_000;

async function readHolder(path: string): Promise<string | typeof LEGACY | undefined> {
  return fs.readlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    if (error.code === 'EINVAL') return LEGACY;
    throw error;
  });
}

async function removeLegacy(path: string): Promise<void> {
  const stat = await fs.stat(path).catch(() => undefined);
  if (stat && Date.now() - stat.mtimeMs > LEGACY_STALE_MS) await fs.rm(path, { recursive: true, force: true });
}

/**
 * Removes the lock of a dead holder, unless another process took it over first: the guard
 * directory (mkdir is atomic) makes the read-then-unlink one step among the processes taking over.
 */
async function takeOver(path: string, deadValue: string): Promise<void> {
  const guard = `${path}.takeover`;
  try {
    await fs.mkdir(guard);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const stat = await fs.stat(guard).catch(() => undefined);
    if (stat && Date.now() - stat.mtimeMs > TAKEOVER_STALE_MS) await fs.rm(guard, { recursive: true, force: true });
    return;
  }
  try {
    if ((await readHolder(path)) === deadValue) await fs.unlink(path).catch(() => undefined);
  } finally {
    await fs.rmdir(guard).catch(() => undefined);
  }
}
