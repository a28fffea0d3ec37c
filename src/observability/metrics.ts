import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { PoolStats } from '../worker-pool.ts';

/**
 * The service's Prometheus metrics, in a registry of its own (never prom-client's global one),
 * so every app instance, in tests too, counts alone. In a cluster the primary sums the workers'.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  readonly httpDuration: Histogram<'route' | 'method'>;
  readonly uploads: Counter<'code'>;
  readonly bytesStored: Counter;
  readonly resumableCreated: Counter;
  readonly resumableCompleted: Counter<'code'>;
  readonly resumableExpired: Counter;
  readonly resumableBytes: Counter;
  readonly chatConnections: Gauge;
  readonly chatMessages: Counter<'type'>;
  readonly proxyDuration: Histogram<'upstream' | 'status'>;
  readonly proxyErrors: Counter<'upstream' | 'kind'>;

  constructor(poolStats: () => PoolStats | undefined = () => undefined) {
    const registers = [this.registry];
    // Process metrics, event-loop lag (nodejs_eventloop_lag_*) among them.
    collectDefaultMetrics({ register: this.registry });
    this.httpRequests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by route pattern, method and status',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from request to the end of the answer',
      labelNames: ['route', 'method'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.uploads = new Counter({
      name: 'media_uploads_total',
      help: 'Files judged by POST /media, by result code',
      labelNames: ['code'],
      registers,
    });
    this.bytesStored = new Counter({ name: 'media_bytes_stored_total', help: 'Bytes of files stored', registers });
    this.resumableCreated = new Counter({
      name: 'media_resumable_uploads_created_total',
      help: 'Resumable uploads created (POST /uploads accepted)',
      registers,
    });
    this.resumableCompleted = new Counter({
      name: 'media_resumable_uploads_completed_total',
      help: 'Resumable uploads whose last byte arrived, by the result code of their publishing',
      labelNames: ['code'],
      registers,
    });
    this.resumableExpired = new Counter({
      name: 'media_resumable_uploads_expired_total',
      help: 'Incomplete resumable uploads removed after uploads.expireAfterMs',
      registers,
    });
    this.resumableBytes = new Counter({
      name: 'media_resumable_bytes_received_total',
      help: 'Bytes of resumable uploads received and counted (verified when a checksum came with them)',
      registers,
    });
    this.chatConnections = new Gauge({ name: 'chat_connections', help: 'Open chat WebSocket connections', registers });
    this.chatMessages = new Counter({
      name: 'chat_messages_total',
      help: 'Chat events broadcast, by type',
      labelNames: ['type'],
      registers,
    });
    this.proxyDuration = new Histogram({
      name: 'proxy_upstream_duration_seconds',
      help: 'Time until the upstream answered headers, by upstream and status',
      labelNames: ['upstream', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
      registers,
    });
    this.proxyErrors = new Counter({
      name: 'proxy_upstream_errors_total',
      help: 'Proxied requests that failed, by upstream and kind (refused, timeout, aborted)',
      labelNames: ['upstream', 'kind'],
      registers,
    });
    new Gauge({
      name: 'media_pool_queue_depth',
      help: 'Tasks waiting for a publish worker thread',
      registers,
      collect() {
        this.set(poolStats()?.queueSize ?? 0);
      },
    });
    new Gauge({
      name: 'media_pool_utilization',
      help: 'Share of the publish pool capacity in use (0..1)',
      registers,
      collect() {
        this.set(poolStats()?.utilization ?? 0);
      },
    });
  }

  /** Prometheus text of this process alone. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
