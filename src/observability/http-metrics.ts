import type { RequestHandler } from 'express';
import type { Metrics } from './metrics.ts';
import { routeOf } from './request-logger.ts';

/** Counts every answered request and its latency by route pattern, method and status. */
export function httpMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const stop = metrics.httpDuration.startTimer();
    res.once('finish', () => {
      const route = routeOf(req);
      metrics.httpRequests.inc({ route, method: req.method, status: String(res.statusCode) });
      stop({ route, method: req.method });
    });
    next();
  };
}
