import type { Redis } from 'ioredis';
import { diedOnThisHost, holderOf, holderToken, thisProcess } from '../uploads/process-identity.ts';
import { fileOf, type MediaEvent } from './event.ts';
import type { ClaimedDelivery, ConfirmOptions, Confirmed, Delivery, EventLog, Intent } from './event-log.ts';
import type { LocalEventLog } from './local-event-log.ts';

const PREFIX = 'media-service:events:';
const STREAM = `${PREFIX}log`;
const CREATED = `${PREFIX}created`;
const retries = (hook: string) => `${PREFIX}retry:${hook}`;
const states = (hook: string) => `${PREFIX}state:${hook}`;
const failures = (hook: string) => `${PREFIX}failed:${hook}`;
const leases = (hook: string) => `${PREFIX}lease:${hook}`;
const group = (hook: string) => `hook:${hook}`;

/** Takes the due retries of a hook under a lease: their score moves to the lease's end, the holder is noted. */
const CLAIM_RETRIES = `
local due = redis.call('zrangebyscore', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, ref in ipairs(due) do
  redis.call('zadd', KEYS[1], ARGV[2], ref)
  redis.call('hset', KEYS[2], ref, ARGV[4])
end
return due`;

interface DeliveryState {
  attempts: number;
  firstAt: number;
  lastError?: string;
}

type StreamEntry = [id: string, fields: string[]];

/**
 * The event log of several hosts sharing one Redis (backend `s3`): events in a Redis Stream, in
 * the order Redis took them; one consumer group per webhook, so each new event is read by one
 * process of one host; a try a holder did not finish (it died) is taken over (XAUTOCLAIM) after
 * the lease. Waiting retries are a sorted set per webhook, taken under a lease by a script. The
 * write-ahead intents stay on the host that took them (its SQLite log): only that host can tell
 * whether its process died.
 */
export class RedisEventLog implements EventLog {
  private readonly consumer = holderToken('events');

  private constructor(
    private readonly redis: Redis,
    private readonly intentsLog: LocalEventLog,
    private readonly hooks: string[],
  ) {}

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
    return (await this.redis.exists(`${PREFIX}confirmed:${intentId}`)) === 1;
  }

  /** Every host reads new events through the consumer groups: nothing is taken at once here. */
  async confirm(intentId: string, event: Omit<MediaEvent, 'id'>, hooks: string[], { version }: ConfirmOptions = {}): Promise<Confirmed> {
    const file = fileOf(event as MediaEvent);
    const multi = this.redis.multi().xadd(STREAM, '*', 'e', JSON.stringify(event), 'h', hooks.join(','));
    if (event.type === 'media.created' && version !== undefined) multi.hset(CREATED, file, version);
    if (event.type === 'media.deleted') multi.hdel(CREATED, file);
    multi.set(`${PREFIX}confirmed:${intentId}`, '1', 'EX', 7 * 24 * 3600);
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
    if (!ref) return undefined;
    const [entry] = (await this.redis.xrange(STREAM, ref, ref)) as StreamEntry[];
    return entry && eventOf(entry);
  }

  async latestId(): Promise<string | undefined> {
    const [entry] = (await this.redis.xrevrange(STREAM, '+', '-', 'COUNT', 1)) as StreamEntry[];
    return entry && idOf(entry[0]);
  }

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

  async close(): Promise<void> {
    await this.intentsLog.close();
  }

  private async readNew(hook: string, count: number): Promise<StreamEntry[]> {
    const answer = (await this.redis.xreadgroup('GROUP', group(hook), this.consumer, 'COUNT', count, 'STREAMS', STREAM, '>')) as Array<
      [string, StreamEntry[]]
    > | null;
    return answer?.[0]?.[1] ?? [];
  }

  /** Entries the group has not read yet (XINFO GROUPS `lag`, Redis 7). */
  private async behind(hook: string): Promise<number> {
    const groups = (await this.redis.xinfo('GROUPS', STREAM)) as unknown[][];
    const mine = groups.find((fields) => fields[fields.indexOf('name') + 1] === group(hook));
    return Number(mine?.[mine.indexOf('lag') + 1] ?? 0);
  }

  private async state(hook: string, ref: string): Promise<DeliveryState | undefined> {
    const json = await this.redis.hget(states(hook), ref);
    return json ? (JSON.parse(json) as DeliveryState) : undefined;
  }

  private async retryOf(hook: string, ref: string, leaseEnd: number): Promise<ClaimedDelivery[]> {
    const event = await this.event(idOf(ref));
    const state = await this.state(hook, ref);
    if (!event || !state) {
      // Its event is past the retention: nothing left to send.
      await this.redis.multi().zrem(retries(hook), ref).hdel(states(hook), ref).hdel(leases(hook), ref).exec();
      return [];
    }
    return [{ delivery: deliveryOf(hook, ref, event, state, leaseEnd), event }];
  }
}

function idOf(ref: string): string {
  return `evt_${ref}`;
}

function refOf(id: string): string | undefined {
  return /^evt_(\d{1,15}-\d{1,15})$/.exec(id)?.[1];
}

function eventOf([ref, fields]: StreamEntry): MediaEvent {
  return { id: idOf(ref), ...(JSON.parse(fields[fields.indexOf('e') + 1]!) as Omit<MediaEvent, 'id'>) } as MediaEvent;
}

function deliveryOf(hook: string, ref: string, event: MediaEvent, state: DeliveryState, nextAt: number): Delivery {
  return {
    hook,
    seq: 0,
    ref,
    file: fileOf(event),
    attempts: state.attempts,
    firstAt: state.firstAt,
    nextAt,
    state: 'pending',
    lastError: state.lastError,
  };
}

function compareRefs(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am - bm || as - bs;
}
