import type { Redis } from 'ioredis';
import { diedOnThisHost, holderOf, thisProcess } from '../lockers/process-identity.ts';
import type { ClaimedDelivery, Delivery } from './event-log.ts';
import {
  deliveryOf,
  eventAt,
  eventOf,
  failures,
  group,
  leases,
  retries,
  states,
  STREAM,
  type DeliveryState,
  type StreamEntry,
} from './redis-stream.ts';

/** Takes the due retries of a hook under a lease: their score moves to the lease's end, the holder is noted. */
const CLAIM_RETRIES = `
local due = redis.call('zrangebyscore', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, ref in ipairs(due) do
  redis.call('zadd', KEYS[1], ARGV[2], ref)
  redis.call('hset', KEYS[2], ref, ARGV[4])
end
return due`;

/**
 * The deliveries of the Redis log as the processes of all hosts take them: due retries under a
 * lease (a script), new events through the webhook's consumer group (each read by one process),
 * tries whose holder died taken over (XAUTOCLAIM after a lease; at once for a dead process of
 * this host); and each try's outcome.
 */
export class RedisDeliveries {
  constructor(
    private readonly redis: Redis,
    private readonly hooks: string[],
    /** This process as a consumer and lease holder. */
    private readonly consumer: string,
  ) {}

  async claim(now: number, want: (hook: string) => number, leaseMs: number): Promise<ClaimedDelivery[]> {
    const claimed: ClaimedDelivery[] = [];
    for (const hook of this.hooks) {
      let room = want(hook);
      if (room <= 0) continue;
      const due = (await this.redis.eval(
        CLAIM_RETRIES,
        2,
        retries(hook),
        leases(hook),
        now,
        now + leaseMs,
        room,
        this.consumer,
      )) as string[];
      for (const ref of due) claimed.push(...(await this.retryOf(hook, ref, now + leaseMs)));
      room -= due.length;
      if (room <= 0) continue;
      // Tries whose holder stopped answering for a whole lease (it died): taken over.
      const [, stale] = (await this.redis.xautoclaim(STREAM, group(hook), this.consumer, leaseMs, '0-0', 'COUNT', room)) as [
        string,
        StreamEntry[],
      ];
      const fresh = room - stale.length > 0 ? await this.readNew(hook, room - stale.length) : [];
      for (const [ref, fields] of [...stale, ...fresh]) {
        if (!fields) continue;
        const event = eventOf([ref, fields]);
        const targets = (fields[fields.indexOf('h') + 1] ?? '').split(',');
        if (!targets.includes(hook)) {
          await this.redis.xack(STREAM, group(hook), ref);
          continue;
        }
        const state = await this.state(hook, ref);
        const at = Date.parse(event.timestamp);
        claimed.push({ delivery: deliveryOf(hook, ref, event, state ?? { attempts: 0, firstAt: at }, now + leaseMs), event });
      }
    }
    return claimed;
  }

  async delivered(delivery: Delivery): Promise<void> {
    const { hook, ref } = delivery;
    await this.redis
      .multi()
      .xack(STREAM, group(hook), ref!)
      .zrem(retries(hook), ref!)
      .hdel(states(hook), ref!)
      .hdel(leases(hook), ref!)
      .exec();
  }

  async reschedule(delivery: Delivery, nextAt: number, error: string): Promise<void> {
    const { hook, ref } = delivery;
    const state: DeliveryState = { attempts: delivery.attempts + 1, firstAt: delivery.firstAt, lastError: error };
    await this.redis
      .multi()
      .hset(states(hook), ref!, JSON.stringify(state))
      .zadd(retries(hook), nextAt, ref!)
      .hdel(leases(hook), ref!)
      .xack(STREAM, group(hook), ref!)
      .exec();
  }

  async fail(delivery: Delivery, error: string): Promise<void> {
    const { hook, ref } = delivery;
    const state: DeliveryState = { attempts: delivery.attempts + 1, firstAt: delivery.firstAt, lastError: error };
    await this.redis
      .multi()
      .hset(failures(hook), ref!, JSON.stringify(state))
      .zrem(retries(hook), ref!)
      .hdel(states(hook), ref!)
      .hdel(leases(hook), ref!)
      .xack(STREAM, group(hook), ref!)
      .exec();
  }

  /** Retries leased by processes of this host that died are due again now; their first tries are taken over by XAUTOCLAIM. */
  async releaseDead(): Promise<number> {
    let released = 0;
    for (const hook of this.hooks) {
      for (const [ref, holder] of Object.entries(await this.redis.hgetall(leases(hook)))) {
        const identity = holderOf(holder);
        if (!identity || !diedOnThisHost(identity)) continue;
        await this.redis.multi().zadd(retries(hook), 'XX', Date.now(), ref).hdel(leases(hook), ref).exec();
        released += 1;
      }
      // First tries a dead process of this host held: idle long enough to be taken over now.
      const pending = (await this.redis.xpending(STREAM, group(hook), '-', '+', 1000)) as Array<[string, string, number, number]>;
      const orphaned = pending.filter(([, owner]) => {
        const identity = holderOf(owner);
        return identity !== undefined && identity.pid !== thisProcess().pid && diedOnThisHost(identity);
      });
      if (orphaned.length > 0) {
        await this.redis.xclaim(STREAM, group(hook), this.consumer, 0, ...orphaned.map(([ref]) => ref), 'IDLE', 24 * 3600_000);
        released += orphaned.length;
      }
    }
    return released;
  }

  private async readNew(hook: string, count: number): Promise<StreamEntry[]> {
    const answer = (await this.redis.xreadgroup('GROUP', group(hook), this.consumer, 'COUNT', count, 'STREAMS', STREAM, '>')) as Array<
      [string, StreamEntry[]]
    > | null;
    return answer?.[0]?.[1] ?? [];
  }

  private async state(hook: string, ref: string): Promise<DeliveryState | undefined> {
    const json = await this.redis.hget(states(hook), ref);
    return json ? (JSON.parse(json) as DeliveryState) : undefined;
  }

  private async retryOf(hook: string, ref: string, leaseEnd: number): Promise<ClaimedDelivery[]> {
    const event = await eventAt(this.redis, ref);
    const state = await this.state(hook, ref);
    if (!event || !state) {
      // Its event is past the retention: nothing left to send.
      await this.redis.multi().zrem(retries(hook), ref).hdel(states(hook), ref).hdel(leases(hook), ref).exec();
      return [];
    }
    return [{ delivery: deliveryOf(hook, ref, event, state, leaseEnd), event }];
  }
}
