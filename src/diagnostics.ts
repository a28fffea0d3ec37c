import type { RequestListener } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Where the probe answers; it exists only when the service starts with BENCH_EVENT_LOOP=1. */
export const EVENT_LOOP_PROBE_PATH = '/_bench/event-loop';

/**
 * Opt-in benchmark probe (`npm run bench` measures event-loop lag inside the service): wraps the
 * request listener so that GET /_bench/event-loop answers the event-loop delay percentiles in ms
 * since the previous call, then resets. Sampled every 1 ms, so an idle loop reads about 1 ms.
 * Not for production: /metrics (prom-client) is where operators will get this.
 */
export function withEventLoopProbe(listener: RequestListener): RequestListener {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  return (req, res) => {
    if (req.url !== EVENT_LOOP_PROBE_PATH) return listener(req, res);
    const body = {
      p50Ms: ms(histogram.percentile(50)),
      p99Ms: ms(histogram.percentile(99)),
      maxMs: ms(histogram.max),
      samples: histogram.count,
    };
    histogram.reset();
    res.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
  };
}
