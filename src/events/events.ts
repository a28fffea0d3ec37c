import path from 'node:path';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.ts';
import type { ByteStore, StoredObject } from '../storage/byte-store.ts';
import { diedOnThisHost, thisProcess } from '../lockers/process-identity.ts';
import type { EventsConfig } from './config.ts';
import { DeliveryWorker } from './delivery-worker.ts';
import type { CreatedIntent, EventHook, EventOrigin } from '../media/event-hook.ts';
import type { MediaEvent } from './event.ts';
import type { ClaimedDelivery, EventLog, Intent } from './event-log.ts';
import { logWriteError } from './log-write-error.ts';
import { FEED_DEFAULTS, type FeedOptions } from './event-feed.ts';
import { EventMetrics } from './event-metrics.ts';
import { EventLogBound } from './event-log-bound.ts';
import { LocalEventLog } from './local-event-log.ts';
import { RedisEventLog } from './redis-event-log.ts';
import type { WebhookTarget } from './webhooks.ts';
import { redisClient } from '../redis-client.ts';

/** The event log's place under the storage root: as unreachable by the API as `.index`. */
export const EVENTS_DIR = '.events';

export interface EventsDeps {
  store: ByteStore;
  logger: Logger;
  metrics: Metrics;
  /** Several hosts on one bucket: the log on this Redis (else on the storage root's disk). */
  redisUrl?: string;
  /** Tests only: the live feed's keep-alive interval and buffer bound. */
  feed?: Partial<FeedOptions>;
}

/**
 * Events of this service: recorded through the hook, kept in the log, delivered to webhooks by
 * the worker, and announced to the live feed of this process.
 */
export class Events implements EventHook {
  private readonly listeners = new Set<() => void>();
  private readonly feeds = new Set<() => void>();
  private readonly bound: EventLogBound;
  private readonly hooks: WebhookTarget[];
  readonly feed: FeedOptions;

  private constructor(
    readonly log: EventLog,
    readonly config: EventsConfig,
    private readonly deps: EventsDeps,
    private readonly metrics: EventMetrics,
    private readonly worker: DeliveryWorker,
    hooks: Map<string, WebhookTarget>,
    private readonly redis?: Redis,
  ) {
    this.hooks = [...hooks.values()];
    this.feed = { ...FEED_DEFAULTS, ...deps.feed };
    this.bound = new EventLogBound(log, config, metrics, deps.logger);
  }

  /** Opens the log, settles what a crash left (intents, leases), and starts delivering. */
  static async open(config: EventsConfig, root: string, deps: EventsDeps): Promise<Events> {
    // The gauges read the log when scraped, after it is open.
    const metrics = new EventMetrics(deps.metrics, () => log.counts());
    const local = await LocalEventLog.open(path.join(root, EVENTS_DIR), {
      onDamage: (problem, keptAt) => {
        deps.logger.error({ problem, keptAt }, 'event log damaged: set aside, a fresh log started');
        metrics.logDamaged.inc();
      },
    });
    const redis = deps.redisUrl
      ? await redisClient(deps.redisUrl, (err) => deps.logger.warn({ err }, 'events redis connection error'))
      : undefined;
    const hooks = await webhookTargets(config);
    const log: EventLog = redis ? await RedisEventLog.open(redis, local, [...hooks.keys()]) : local;
    const worker = new DeliveryWorker(log, hooks, config, deps.logger, metrics);
    const events = new Events(log, config, deps, metrics, worker, hooks, redis);
    const settled = await events.settleIntents();
    if (settled > 0) deps.logger.info({ settled }, 'settled the events a crash left unconfirmed');
    await log.releaseDead();
    worker.kick();
    return events;
  }

  async created(file: CreatedIntent, origin: EventOrigin, commit: () => Promise<StoredObject>): Promise<StoredObject> {
    const data = { ...file, via: origin.via ?? 'multipart', keyId: origin.keyId };
    const intentId = await this.intend({ type: 'media.created', data, owner: thisProcess(), at: Date.now() });
    let stored: StoredObject;
    try {
      stored = await commit();
    } catch (error) {
      await this.log.drop(intentId);
      throw error;
    }
    await this.record(
      intentId,
      { type: 'media.created', timestamp: new Date().toISOString(), data: { ...data, sha256: stored.sha256 } },
      stored.version,
    );
    return stored;
  }

  async deleted(file: { directory: string; filename: string }, origin: EventOrigin, remove: () => Promise<boolean>): Promise<boolean> {
    const data = { directory: file.directory, filename: file.filename, keyId: origin.keyId };
    const intentId = await this.intend({ type: 'media.deleted', data, owner: thisProcess(), at: Date.now() });
    let removed = false;
    try {
      removed = await remove();
    } finally {
      if (!removed) await this.log.drop(intentId);
    }
    if (!removed) return false;
    await this.record(intentId, { type: 'media.deleted', timestamp: new Date().toISOString(), data });
    return removed;
  }

  /** The write-ahead record; when it cannot be written nothing is published (a full disk: code 507). */
  private async intend(intent: Intent): Promise<string> {
    try {
      return await this.log.intend(intent);
    } catch (error) {
      throw logWriteError(error);
    }
  }

  /** Sends an event's failed deliveries again, now; how many. */
  async retry(id: string): Promise<number> {
    const again = await this.log.retry(id);
    this.worker.kick();
    return again;
  }

  webhookUrl(hook: string): string | undefined {
    return this.hooks.find((target) => target.id === hook)?.url;
  }

  /** `end` is called when the service stops: live feeds must not hold a graceful stop open. */
  onStop(end: () => void): () => void {
    this.feeds.add(end);
    return () => this.feeds.delete(end);
  }

  /** Ends every live feed of this process (their readers reconnect elsewhere with Last-Event-ID). */
  endFeeds(): void {
    for (const end of [...this.feeds]) end();
  }

  /** Called on every event this process records (the live feed wakes its readers). */
  onEvent(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async record(intentId: string, event: Omit<MediaEvent, 'id'>, version?: string): Promise<void> {
    const hooks = this.hooks.filter((hook) => hook.matches(event)).map((hook) => hook.id);
    const reserved = this.worker.reserve(hooks);
    let taken: ClaimedDelivery[] = [];
    let kept = 0;
    try {
      ({ taken, kept } = await this.log.confirm(intentId, event, hooks, {
        version,
        take: { hooks: reserved, leaseMs: this.worker.leaseMs },
      }));
    } catch (err) {
      // The act is done and its intent durable: the answer stands, and the next start settles it.
      this.deps.logger.warn(
        { err, intentId, type: event.type },
        'event not confirmed: its write-ahead record is settled at the next start',
      );
      return;
    } finally {
      this.worker.startTaken(taken, reserved);
    }
    this.metrics.recorded.inc({ type: event.type });
    // A delivery not taken here (no free place, or an older one of its file waits) is the worker's to claim.
    if (taken.length < hooks.length) this.worker.kick();
    for (const listener of this.listeners) listener();
    this.bound.kept(kept);
  }

  /**
   * The intents of processes of this host that died: an event when the store shows the act done
   * (a created file there, not the version an earlier event named; a deleted file gone), else none.
   */
  private async settleIntents(): Promise<number> {
    let settled = 0;
    for (const { id, intent } of await this.log.intents()) {
      if (!diedOnThisHost(intent.owner)) continue;
      if (await this.log.wasConfirmed?.(id)) {
        await this.log.drop(id);
        continue;
      }
      const { directory, filename } = intent.data;
      const found = await this.deps.store.head({ directory, name: filename });
      const timestamp = new Date(intent.at).toISOString();
      if (
        intent.type === 'media.created' &&
        found &&
        found.size === intent.data.size &&
        (await this.log.createdVersion(`${directory}/${filename}`)) !== found.version
      ) {
        await this.record(id, { type: 'media.created', timestamp, data: { ...intent.data, sha256: found.sha256 } }, found.version);
        settled += 1;
      } else if (intent.type === 'media.deleted' && !found) {
        await this.record(id, { type: 'media.deleted', timestamp, data: intent.data });
        settled += 1;
      } else await this.log.drop(id);
    }
    return settled;
  }

  async close(): Promise<void> {
    this.bound.stop();
    await this.worker.stop();
    await Promise.all(this.hooks.map((hook) => hook.close()));
    await this.log.close();
    this.redis?.disconnect();
  }
}

/** The configured webhooks by id; their HTTP client is loaded only when there is one. */
async function webhookTargets(config: EventsConfig): Promise<Map<string, WebhookTarget>> {
  if (config.webhooks.length === 0) return new Map();
  const { WebhookTarget } = await import('./webhooks.ts');
  return new Map(config.webhooks.map((webhook) => new WebhookTarget(webhook, config.timeoutMs)).map((hook) => [hook.id, hook]));
}
