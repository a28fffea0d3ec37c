import type { Logger } from 'pino';
import type { EventsConfig } from './config.ts';
import type { EventLog } from './event-log.ts';
import type { EventMetrics } from './event-metrics.ts';

/** How often retention and events.maxPending are applied without being asked. */
const PRUNE_EVERY_MS = 10_000;

/**
 * Keeps the log within events.retainMs and events.maxPending: every 10 s, and at once when a
 * record finds more deliveries kept than the bound. Each drop is counted by state; reaching the
 * bound is logged at warn, and every drop of a pending delivery too (never one silently).
 */
export class EventLogBound {
  private readonly timer: NodeJS.Timeout;
  private full = false;
  private running?: Promise<void>;
  private again = false;

  constructor(
    private readonly log: EventLog,
    private readonly config: Pick<EventsConfig, 'retainMs' | 'maxPending'>,
    private readonly metrics: EventMetrics,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => void this.apply(), PRUNE_EVERY_MS).unref();
  }

  /** A record found `kept` deliveries in the log. */
  kept(kept: number): void {
    if (kept > this.config.maxPending) void this.apply();
  }

  /** One prune at a time (on Redis it is several steps): one asked for meanwhile runs after it. */
  apply(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.prune().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        void this.apply();
      }
    });
    return this.running;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async prune(): Promise<void> {
    try {
      const dropped = await this.log.prune(Date.now(), this.config.retainMs, this.config.maxPending);
      const was = this.full;
      this.full = dropped.failed + dropped.pending > 0;
      if (!this.full) return;
      this.metrics.dropped.inc({ state: 'failed' }, dropped.failed);
      this.metrics.dropped.inc({ state: 'pending' }, dropped.pending);
      if (!was || dropped.pending > 0)
        this.logger.warn({ dropped, maxPending: this.config.maxPending }, 'events.maxPending reached: the oldest deliveries were dropped');
    } catch (err) {
      this.logger.warn({ err }, 'the event log could not be pruned');
    }
  }
}
