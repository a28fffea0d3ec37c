import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { AggregatorRegistry } from 'prom-client';
import type { Metrics } from '../observability/metrics.ts';

const REQUEST = 'media-service:metrics-request';
const RESPONSE = 'media-service:metrics-response';
const TIMEOUT_MS = 5000;

interface MetricsMessage {
  type: string;
  id: string;
  text?: string;
  error?: string;
}

/**
 * Primary side: answers a worker's request for /metrics with prom-client's sum over all workers
 * (each worker reports its registry through prom-client's own cluster messages).
 */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: MetricsMessage) => {
    if (message?.type !== REQUEST) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: RESPONSE, id: message.id, text }),
      (error: Error) => worker.send({ type: RESPONSE, id: message.id, error: error.message }),
    );
  });
}

/** Worker side: registers this worker's registry and returns a function giving the cluster's text. */
export function clusterMetricsText(metrics: Metrics): () => Promise<string> {
  AggregatorRegistry.setRegistries(metrics.registry);
  new AggregatorRegistry(); // installs prom-client's worker listener
  return () =>
    new Promise((resolve, reject) => {
      const id = randomUUID();
      const timer = setTimeout(() => done(new Error('cluster metrics timed out')), TIMEOUT_MS);
      const onMessage = (message: MetricsMessage) => {
        if (message?.type !== RESPONSE || message.id !== id) return;
        done(message.error ? new Error(message.error) : undefined, message.text ?? '');
      };
      function done(error?: Error, text = '') {
        clearTimeout(timer);
        process.off('message', onMessage);
        if (error) reject(error);
        else resolve(text);
      }
      process.on('message', onMessage);
      process.send!({ type: REQUEST, id });
    });
}
