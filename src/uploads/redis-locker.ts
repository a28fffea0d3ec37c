import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Lock, Locker } from '@tus/utils';
import type { Redis } from 'ioredis';
import { AppError } from '../errors.ts';

const RETRY_MS = 50;
/** A lock lives this long unless its holder refreshes it: a holder that died frees it by then. */
const TTL_MS = 10_000;
const REFRESH_MS = 3_000;
// Only the holder (its token) may refresh or release: a lock that expired and was taken by
// another request is never freed by the first one.
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
const REFRESH = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";

/**
 * One lock per upload across processes and hosts that share a Redis (`redis.url`, else
 * `chat.redisUrl`): `SET key token NX PX`, refreshed while held, released by compare-and-delete.
 * A request that cannot get it within `timeoutMs` answers 423, which tus clients retry.
 */
export class RedisLocker implements Locker {
  constructor(
    private readonly redis: Redis,
    private readonly timeoutMs: number,
    private readonly prefix = 'media-service:uploads:lock:',
  ) {}

  newLock(id: string): Lock {
    return new RedisLock(this.redis, `${this.prefix}${id}`, this.timeoutMs);
  }
}

class RedisLock implements Lock {
  private readonly token = randomUUID();
  private refresher?: NodeJS.Timeout;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly timeoutMs: number,
  ) {}

  async lock(signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    while ((await this.redis.set(this.key, this.token, 'PX', TTL_MS, 'NX')) !== 'OK') {
      if (signal.aborted || Date.now() > deadline) throw new AppError('UPLOAD_LOCKED');
      await sleep(RETRY_MS);
    }
    this.refresher = setInterval(
      () => void this.redis.eval(REFRESH, 1, this.key, this.token, TTL_MS).catch(() => undefined),
      REFRESH_MS,
    ).unref();
  }

  async unlock(): Promise<void> {
    clearInterval(this.refresher);
    await this.redis.eval(RELEASE, 1, this.key, this.token);
  }
}
