import type { Logger } from 'pino';
import type { EventsConfig } from './config.ts';
import { DeliveredBatch } from './delivered-batch.ts';
import type { ClaimedDelivery, EventLog } from './event-log.ts';
import type { EventMetrics } from './event-metrics.ts';
import { retryDelay } from './retry-schedule.ts';
import type { WebhookTarget } from './webhooks.ts';

/** A taken delivery is another process's only this much longer than a try may take. */
const LEASE_MARGIN_MS = 5000;

/**
 * Sends due deliveries: each webhook has its own limit of tries in flight, so a slow receiver
 * holds up only its own deliveries. Deliveries are taken from the log under a lease, so of several
 * processes sharing the log one sends each.
 */
export class DeliveryWorker {
  private readonly inFlight = new Map<string, number>();
  private readonly running = new Set<Promise<void>>();
  private readonly timer: NodeJS.Timeout;
  private ticking = false;
  private again = false;
  private stopped = false;
  private readonly stopping = new AbortController();
  private readonly delivered: DeliveredBatch;

  constructor(
    private readonly log: EventLog,
    private readonly hooks: Map<string, WebhookTarget>,
    private readonly config: EventsConfig,
    private readonly logger: Logger,
    private readonly metrics: EventMetrics,
  ) {
    this.delivered = new DeliveredBatch(log);
    this.timer = setInterval(() => this.kick(), Math.min(250, config.retryDelayMs)).unref();
  }

  /** Looks for due deliveries now (an event was just recorded, or a try ended). */
  kick(): void {
    if (this.stopped || this.hooks.size === 0) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    void this.tick()
      .catch((err: unknown) => this.logger.warn({ err }, 'webhook deliveries could not be read from the event log'))
      .finally(() => {
        this.ticking = false;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** How long a taken delivery stays this process's. */
  get leaseMs(): number {
    return this.config.timeoutMs + LEASE_MARGIN_MS;
  }

  /** Room for one more try now, per hook of a new event: each hook returned holds a place until startTaken. */
  reserve(hooks: string[]): Set<string> {
    if (this.stopped) return new Set();
    const reserved = new Set(hooks.filter((hook) => (this.inFlight.get(hook) ?? 0) < this.config.concurrency));
    for (const hook of reserved) this.inFlight.set(hook, (this.inFlight.get(hook) ?? 0) + 1);
    return reserved;
  }

  /** Sends the deliveries a new event's record leased to this process; lets go of the places not used. */
  startTaken(taken: ClaimedDelivery[], reserved: Set<string>): void {
    const used = new Set(taken.map(({ delivery }) => delivery.hook));
    for (const hook of reserved) if (!used.has(hook)) this.inFlight.set(hook, (this.inFlight.get(hook) ?? 1) - 1);
    for (const one of taken) this.start(one);
  }

  private async tick(): Promise<void> {
    const free = (hook: string) => this.config.concurrency - (this.inFlight.get(hook) ?? 0);
    const claimed = await this.log.claim(Date.now(), free, this.leaseMs);
    for (const one of claimed) {
      this.inFlight.set(one.delivery.hook, (this.inFlight.get(one.delivery.hook) ?? 0) + 1);
      this.start(one);
    }
  }

  /** One try, its place in flight already counted. */
  private start(one: ClaimedDelivery): void {
    // The place is the receiver's: it is free once the answer came, while the outcome is recorded.
    let answered = false;
    const free = () => {
      if (answered) return;
      answered = true;
      this.inFlight.set(one.delivery.hook, (this.inFlight.get(one.delivery.hook) ?? 1) - 1);
    };
    const running = this.deliver(one, free)
      .catch((err: unknown) => this.logger.warn({ err, id: one.event.id }, 'webhook delivery could not be recorded'))
      .finally(() => {
        free();
        this.running.delete(running);
        // Once the outcome is written: the file's next delivery, or one that found no free place, may be taken.
        this.kick();
      });
    this.running.add(running);
  }

  private async deliver({ delivery, event }: ClaimedDelivery, answered: () => void): Promise<void> {
    const hook = this.hooks.get(delivery.hook);
    if (!hook) return this.log.fail(delivery, 'the webhook is no longer configured');
    const result = await hook.send(event, this.stopping.signal);
    answered();
    // Cut by stop(): the lease of this (then gone) process is let go at the next start.
    if (this.stopped) return;
    const now = Date.now();
    if (result.ok) {
      await this.delivered.add(delivery);
      this.metrics.deliveries.inc({ result: 'delivered' });
      this.metrics.lag.observe((now - Date.parse(event.timestamp)) / 1000);
      return;
    }
    const wait = retryDelay(delivery.attempts + 1, this.config.retryDelayMs, result.retryAfterMs);
    if (now + wait <= delivery.firstAt + this.config.maxAgeMs) {
      this.metrics.deliveries.inc({ result: 'retried' });
      return this.log.reschedule(delivery, now + wait, result.error);
    }
    await this.log.fail(delivery, result.error);
    this.metrics.deliveries.inc({ result: 'failed' });
    this.logger.warn(
      { id: event.id, type: event.type, url: hook.url, tries: delivery.attempts + 1, error: result.error },
      'webhook delivery failed for good: listed by GET /events?status=failed, sent again by POST /events/<id>/retry',
    );
  }

  /** Stops taking deliveries and waits for the tries in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.stopping.abort();
    await Promise.all(this.running);
  }
}
