import type { Redis } from 'ioredis';
import { holderToken } from '../lockers/process-identity.ts';
import { eventCommands, type EventCommands } from './redis-commands.ts';
import { fileOf, type MediaEvent } from './event.ts';
import type { ClaimedDelivery, ConfirmOptions, Confirmed, Delivery, EventLog, Intent } from './event-log.ts';
import type { LocalEventLog } from './local-event-log.ts';
import { RedisDeliveries } from './redis-deliveries.ts';
import {
  compareRefs,
  confirmedKey,
  CREATED,
  deliveryOf,
  due,
  eventAt,
  eventOf,
  failures,
  idOf,
  leases,
  PENDING,
  queue,
  refOf,
  states,
  STREAM,
  type DeliveryState,
  type StreamEntry,
} from './redis-stream.ts';

/**
 * The event log of several hosts sharing one Redis (backend `s3`): events in a Redis Stream, in
 * the order Redis took them; each event's deliveries queued per webhook and file in the same
 * script, taken by one process of one host at a time, in order per file (redis-deliveries.ts). The
 * write-ahead intents stay on the host that took them (its SQLite log): only that host can tell
 * whether its process died.
 */
export class RedisEventLog implements EventLog {
  private readonly deliveries: RedisDeliveries;
  private readonly holder = holderToken('events');

  private constructor(
    private readonly redis: Redis & EventCommands,
    private readonly intentsLog: LocalEventLog,
    private readonly hooks: string[],
  ) {
    this.deliveries = new RedisDeliveries(redis, hooks, this.holder);
  }

  static async open(redis: Redis, intentsLog: LocalEventLog, hooks: string[]): Promise<RedisEventLog> {
    return new RedisEventLog(eventCommands(redis), intentsLog, hooks);
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

  /** The event, its file's last version, and one delivery per hook queued behind the file's earlier ones: one script. */
  async confirm(
    intentId: string,
    event: Omit<MediaEvent, 'id'>,
    hooks: string[],
    { version, take }: ConfirmOptions = {},
  ): Promise<Confirmed> {
    const file = fileOf(event as MediaEvent);
    const at = Date.parse(event.timestamp);
    const now = Date.now();
    const leaseEnd = now + (take?.leaseMs ?? 0);
    const keys = [STREAM, CREATED, confirmedKey(intentId), PENDING];
    for (const hook of hooks) keys.push(due(hook), states(hook), leases(hook), queue(hook, file));
    const state: DeliveryState = { file, attempts: 0, firstAt: at };
    const [ref, takenIndexes] = await this.redis.recordEvent(
      keys.length,
      ...keys,
      JSON.stringify(event),
      hooks.join(','),
      file,
      version ?? '',
      event.type,
      JSON.stringify(state),
      at,
      leaseEnd,
      this.holder,
      ...hooks.map((hook) => (take?.hooks.has(hook) ? '1' : '0')),
    );
    await this.intentsLog.drop(intentId);
    const stored = { id: idOf(ref), ...event } as MediaEvent;
    const taken = takenIndexes.map((index) => ({ delivery: deliveryOf(hooks[index]!, ref, stored, state, leaseEnd), event: stored }));
    return { event: stored, taken };
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
    const event = ref && (await eventAt(this.redis, ref));
    if (!ref || !event) return 0;
    let again = 0;
    for (const hook of this.hooks) if (await this.deliveries.retry(hook, ref, fileOf(event), Date.now())) again += 1;
    return again;
  }

  async counts(): Promise<{ pending: number; failed: number }> {
    let failed = 0;
    for (const hook of this.hooks) failed += await this.redis.hlen(failures(hook));
    return { pending: Number((await this.redis.get(PENDING)) ?? 0), failed };
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
}
