import type { Lock, Locker, RequestRelease } from '@tus/utils';
import { AppError } from '../errors.ts';

interface Held {
  requestRelease: RequestRelease;
  /** Waiters in the order they came; the first is handed the lock at the next unlock. */
  waiting: Array<() => void>;
}

/**
 * Locks within one process, for a store with no Redis to share locks through (tus's
 * MemoryLocker polls with setImmediate while it waits, keeping a core busy, and times out with a
 * plain object instead of an error). Waiters queue in order and sleep until handed the lock; one
 * that cannot get it within `timeoutMs`, or whose signal aborts, answers 423 (retry), as the
 * Redis and file locks do.
 */
export class ProcessLocker implements Locker {
  private readonly held = new Map<string, Held>();

  constructor(private readonly timeoutMs: number) {}

  newLock(id: string): Lock {
    return new ProcessLock(this.held, id, this.timeoutMs);
  }
}

class ProcessLock implements Lock {
  private mine = false;

  constructor(
    private readonly held: Map<string, Held>,
    private readonly id: string,
    private readonly timeoutMs: number,
  ) {}

  async lock(signal: AbortSignal, requestRelease: RequestRelease): Promise<void> {
    // The holder may be a request whose client is gone: asked to finish, as tus's lockers do. A
    // caller that will not wait (an aborted signal) leaves it alone.
    if (!signal.aborted) await this.held.get(this.id)?.requestRelease();
    const current = this.held.get(this.id);
    if (!current) {
      this.held.set(this.id, { requestRelease, waiting: [] });
      this.mine = true;
      return;
    }
    if (signal.aborted) throw new AppError('UPLOAD_LOCKED');
    await new Promise<void>((resolve, reject) => {
      const settle = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', giveUp);
      };
      const take = () => {
        settle();
        current.requestRelease = requestRelease;
        resolve();
      };
      const giveUp = () => {
        settle();
        current.waiting.splice(current.waiting.indexOf(take), 1);
        reject(new AppError('UPLOAD_LOCKED'));
      };
      const timer = setTimeout(giveUp, this.timeoutMs);
      signal.addEventListener('abort', giveUp, { once: true });
      current.waiting.push(take);
    });
    this.mine = true;
  }

  async unlock(): Promise<void> {
    if (!this.mine) return;
    this.mine = false;
    const current = this.held.get(this.id)!;
    const next = current.waiting.shift();
    if (next) next();
    else this.held.delete(this.id);
  }
}
