import { Counter, Gauge, Histogram } from 'prom-client';
import type { Metrics } from '../observability/metrics.ts';

/** The events' metrics, in the service's registry. */
export class EventMetrics {
  readonly recorded: Counter<'type'>;
  readonly deliveries: Counter<'result'>;
  readonly dropped: Counter<'state'>;
  readonly lag: Histogram;
  readonly logDamaged: Counter;

  constructor(metrics: Metrics, counts: () => Promise<{ pending: number; failed: number }>) {
    const registers = [metrics.registry];
    this.recorded = new Counter({ name: 'media_events_total', help: 'Events recorded, by type', labelNames: ['type'], registers });
    this.deliveries = new Counter({
      name: 'media_webhook_deliveries_total',
      help: 'Webhook tries, by result: delivered, retried (to be tried again), failed (given up: listed by GET /events?status=failed)',
      labelNames: ['result'],
      registers,
    });
    this.dropped = new Counter({
      name: 'media_webhook_deliveries_dropped_total',
      help: 'Deliveries dropped because events.maxPending was reached, by state (oldest failed first)',
      labelNames: ['state'],
      registers,
    });
    this.lag = new Histogram({
      name: 'media_webhook_delivery_lag_seconds',
      help: 'From an event to its delivery (2xx answer)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30, 300, 3600],
      registers,
    });
    this.logDamaged = new Counter({
      name: 'media_event_log_damaged_total',
      help: 'Times the local event log was found damaged: set aside (kept) and a fresh log started',
      registers,
    });
    new Gauge({
      name: 'media_webhook_deliveries',
      help: 'Deliveries in the log now, by state (pending, failed)',
      labelNames: ['state'],
      registers,
      async collect() {
        const now = await counts();
        this.set({ state: 'pending' }, now.pending);
        this.set({ state: 'failed' }, now.failed);
      },
    });
  }
}
