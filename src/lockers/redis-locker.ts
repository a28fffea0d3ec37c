import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Lock, Locker } from '@tus/utils';
import type { Redis } from 'ioredis';
import { AppError } from '../errors.ts';
import { diedOnThisHost, holderOf, holderToken } from './process-identity.ts';
import { withDeadline } from './redis-deadline.ts';

const RETRY_MS = 50;
/** A lock lives this long unless its holder refreshes it: a holder on another host that died frees it by then. */
const TTL_MS = 10_000;
const REFRESH_MS = 3_000;
// Only the holder (its token) may refresh or release: a lock that expired and was taken by
// another request is never freed by the first one.
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
const REFRESH = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";

/**
 * One lock per upload across processes and hosts that share a Redis (`redis.url`, else
 * `chat.redisUrl`): `SET key holder NX PX`, refreshed while held, released by compare-and-delete.
 * The value names the holder (host, pid, start tick), so a lock of a process of this host that
 * died is released at once rather than when its TTL runs out. Every call has a deadline
 * (`redis.commandTimeoutMs`): a Redis that does not answer (frozen) leaves the request waiting
 * only until `timeoutMs`, then 423, which tus clients retry; one that refuses connections answers
 * LOCKS_UNAVAILABLE (503).
 */
export class RedisLocker implements Locker {
  constructor(
    private readonly redis: Redis,
    private readonly timeoutMs: number,
    private readonly commandTimeoutMs = 2000,
    private readonly prefix = 'media-service:uploads:lock:',
  ) {}

  newLock(id: string): Lock {
    return new RedisLock(this.redis, `${this.prefix}${id}`, this.timeoutMs, this.commandTimeoutMs);
  }
}

class RedisLock implements Lock {
  private readonly token = holderToken(randomUUID());
  private refresher?: NodeJS.Timeout;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly timeoutMs: number,
    private readonly commandTimeoutMs: number,
  ) {}

  async lock(signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    while (!(await this.tryLock(deadline))) {
      if (signal.aborted || Date.now() > deadline) throw new AppError('UPLOAD_LOCKED');
      await sleep(RETRY_MS);
    }
    this.refresher = setInterval(
      () => void this.call((redis) => redis.eval(REFRESH, 1, this.key, this.token, TTL_MS)).catch(() => undefined),
      REFRESH_MS,
    ).unref();
  }

  async unlock(): Promise<void> {
    clearInterval(this.refresher);
    // A Redis that does not answer now lets the lock expire with its TTL.
    await this.call((redis) => redis.eval(RELEASE, 1, this.key, this.token)).catch(() => undefined);
  }

  /** One SET NX; a lock of a dead process of this host is released and tried once more. Undecided (no answer in time) is false. */
  private async tryLock(deadline: number): Promise<boolean> {
    const set = () => this.call((redis) => redis.set(this.key, this.token, 'PX', TTL_MS, 'NX'), deadline);
    try {
      if ((await set()) === 'OK') return true;
      const value = await this.call((redis) => redis.get(this.key), deadline);
      const holder = value === null ? undefined : holderOf(value);
      if (value === null || !holder || !diedOnThisHost(holder)) return false;
      await this.call((redis) => redis.eval(RELEASE, 1, this.key, value), deadline);
      return (await set()) === 'OK';
    } catch (error) {
      if (error instanceof AppError) throw error;
      // No answer in time: a SET that still reaches Redis later must not leave a lock nobody holds.
      void this.redis.eval(RELEASE, 1, this.key, this.token).catch(() => undefined);
      // Connected but silent is a frozen Redis (wait, then 423); not connected is one that is down.
      if (this.redis.status !== 'ready') throw new AppError('LOCKS_UNAVAILABLE', `upload locks unavailable: redis: ${this.redis.status}`);
      return false;
    }
  }

  private call<T>(command: (redis: Redis) => Promise<T>, deadline = Date.now() + this.commandTimeoutMs): Promise<T> {
    return withDeadline(command(this.redis), Math.min(this.commandTimeoutMs, Math.max(1, deadline - Date.now())));
  }
}
