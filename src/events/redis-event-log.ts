import type { Redis } from 'ioredis';
import { holderToken } from '../lockers/process-identity.ts';
import { fileOf, type MediaEvent } from './event.ts';
import type { ClaimedDelivery, ConfirmOptions, Confirmed, Delivery, EventLog, Intent } from './event-log.ts';
import type { LocalEventLog } from './local-event-log.ts';
import { RedisDeliveries } from './redis-deliveries.ts';
import {
  compareRefs,
  confirmedKey,
  CREATED,
  deliveryOf,
  eventAt,
  eventOf,
  failures,
  group,
  idOf,
  refOf,
  retries,
  states,
  STREAM,
  type DeliveryState,
  type StreamEntry,
} from './redis-stream.ts';

/**
 * The event log of several hosts sharing one Redis (backend `s3`): events in a Redis Stream, in
 * the order Redis took them; one consumer group per webhook, so each new event is read by one
 * process of one host; a try a holder did not finish (it died) is taken over (XAUTOCLAIM) after
 * the lease. Waiting retries are a sorted set per webhook, taken under a lease by a script. The
 * write-ahead intents stay on the host that took them (its SQLite log): only that host can tell
 * whether its process died.
 */
export class RedisEventLog implements EventLog {
  private readonly deliveries: RedisDeliveries;

  private constructor(
    private readonly redis: Redis,
    private readonly intentsLog: LocalEventLog,
    private readonly hooks: string[],
  ) {
    this.deliveries = new RedisDeliveries(redis, hooks, holderToken('events'));
  }

  static async open(redis: Redis, intentsLog: LocalEventLog, hooks: string[]): Promise<RedisEventLog> {
    for (const hook of hooks) {
      // From now on: a webhook added later gets the events after it was added.
      await redis.xgroup('CREATE', STREAM, group(hook), '$', 'MKSTREAM').catch((error: Error) => {
        if (!error.message.includes('BUSYGROUP')) throw error;
      });
    }
    return new RedisEventLog(redis, intentsLog, hooks);
  }

  intend(intent: Intent): Promise<string> {
    return this.intentsLog.intend(intent);
  }

  drop(intentId: string): Promise<void> {
    return this.intentsLog.drop(intentId);
  }

  intents(): Promise<Array<{ id: string; intent: Intent }>> {
    return this.intentsLog.intents();
  }

  async wasConfirmed(intentId: string): Promise<boolean> {
    return (await this.redis.exists(confirmedKey(intentId))) === 1;
  }

  /** Every host reads new events through the consumer groups: nothing is taken at once here. */
  async confirm(intentId: string, event: Omit<MediaEvent, 'id'>, hooks: string[], { version }: ConfirmOptions = {}): Promise<Confirmed> {
    const file = fileOf(event as MediaEvent);
    const multi = this.redis.multi().xadd(STREAM, '*', 'e', JSON.stringify(event), 'h', hooks.join(','));
    if (event.type === 'media.created' && version !== undefined) multi.hset(CREATED, file, version);
    if (event.type === 'media.deleted') multi.hdel(CREATED, file);
    multi.set(confirmedKey(intentId), '1', 'EX', 7 * 24 * 3600);
    const results = (await multi.exec())!;
    const failed = results.find(([error]) => error);
    if (failed) throw failed[0];
    await this.intentsLog.drop(intentId);
    return { event: { id: idOf(results[0]![1] as string), ...event } as MediaEvent, taken: [] };
  }

  async createdVersion(file: string): Promise<string | undefined> {
    return (await this.redis.hget(CREATED, file)) ?? undefined;
  }

  async after(id: string | undefined, limit: number): Promise<MediaEvent[]> {
    const ref = id === undefined ? undefined : refOf(id);
    const entries = (await this.redis.xrange(STREAM, ref ? `(${ref}` : '-', '+', 'COUNT', limit)) as StreamEntry[];
    return entries.map(eventOf);
  }

  async event(id: string): Promise<MediaEvent | undefined> {
    const ref = refOf(id);
    return ref ? eventAt(this.redis, ref) : undefined;
  }

  async latestId(): Promise<string | undefined> {
    const [entry] = (await this.redis.xrevrange(STREAM, '+', '-', 'COUNT', 1)) as StreamEntry[];
    return entry && idOf(entry[0]);
  }

  claim(now: number, want: (hook: string) => number, leaseMs: number): Promise<ClaimedDelivery[]> {
    return this.deliveries.claim(now, want, leaseMs);
  }

  delivered(delivery: Delivery): Promise<void> {
    return this.deliveries.delivered(delivery);
  }

  reschedule(delivery: Delivery, nextAt: number, error: string): Promise<void> {
    return this.deliveries.reschedule(delivery, nextAt, error);
  }

  fail(delivery: Delivery, error: string): Promise<void> {
    return this.deliveries.fail(delivery, error);
  }

  async failed(limit: number): Promise<ClaimedDelivery[]> {
    const out: ClaimedDelivery[] = [];
    for (const hook of this.hooks) {
      for (const [ref, json] of Object.entries(await this.redis.hgetall(failures(hook)))) {
        const event = await this.event(idOf(ref));
        if (!event) continue;
        out.push({ delivery: { ...deliveryOf(hook, ref, event, JSON.parse(json) as DeliveryState, 0), state: 'failed' }, event });
        if (out.length === limit) return out;
      }
    }
    return out;
  }

  async retry(id: string): Promise<number> {
    const ref = refOf(id);
    if (!ref) return 0;
    let again = 0;
    for (const hook of this.hooks) {
      if ((await this.redis.hdel(failures(hook), ref)) === 0) continue;
      const now = Date.now();
      await this.redis
        .multi()
        .hset(states(hook), ref, JSON.stringify({ attempts: 0, firstAt: now }))
        .zadd(retries(hook), now, ref)
        .exec();
      again += 1;
    }
    return again;
  }

  async counts(): Promise<{ pending: number; failed: number }> {
    let pending = 0;
    let failed = 0;
    for (const hook of this.hooks) {
      const [summary] = (await this.redis.xpending(STREAM, group(hook))) as [number];
      const behind = await this.behind(hook);
      pending += Number(summary) + behind + (await this.redis.zcard(retries(hook)));
      failed += await this.redis.hlen(failures(hook));
    }
    return { pending, failed };
  }

  /** Events the retention let go; failed deliveries past `maxPending` (pending ones are kept on Redis). */
  async prune(now: number, retainMs: number, maxPending: number): Promise<{ failed: number; pending: number }> {
    await this.redis.xtrim(STREAM, 'MINID', '~', `${now - retainMs}-0`);
    const { pending, failed } = await this.counts();
    let excess = pending + failed - maxPending;
    let dropped = 0;
    for (const hook of this.hooks) {
      if (excess <= 0) break;
      const refs = Object.keys(await this.redis.hgetall(failures(hook)))
        .sort(compareRefs)
        .slice(0, excess);
      if (refs.length > 0) await this.redis.hdel(failures(hook), ...refs);
      dropped += refs.length;
      excess -= refs.length;
    }
    return { failed: dropped, pending: 0 };
  }

  releaseDead(): Promise<number> {
    return this.deliveries.releaseDead();
  }

  async close(): Promise<void> {
    await this.intentsLog.close();
  }

  /** Entries the group has not read yet (XINFO GROUPS `lag`, Redis 7). */
  private async behind(hook: string): Promise<number> {
    const groups = (await this.redis.xinfo('GROUPS', STREAM)) as unknown[][];
    const mine = groups.find((fields) => fields[fields.indexOf('name') + 1] === group(hook));
    return Number(mine?.[mine.indexOf('lag') + 1] ?? 0);
  }
}
