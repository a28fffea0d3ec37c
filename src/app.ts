import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { authStatus } from './auth.ts';
import { chatRoutes } from './chat/routes.ts';
import type { Config } from './config.ts';
import { errorHandler, notFoundHandler, useStatusMode } from './errors.ts';
import { libraryRoutes } from './library/routes.ts';
import { mediaRoutes } from './media/routes.ts';
import { healthRoutes } from './observability/health-routes.ts';
import { httpMetrics } from './observability/http-metrics.ts';
import type { Metrics } from './observability/metrics.ts';
import { rememberMount, requestLogger } from './observability/request-logger.ts';
import { proxyRoutes } from './proxy/routes.ts';
import type { UpstreamRegistry } from './proxy/upstream-registry.ts';
import { securityHeaders, writeRateLimit } from './security.ts';
import type { ContentInspector } from './media/content-inspector.ts';
import type { ByteStore } from './storage/byte-store.ts';
import { corsFor } from './cors.ts';
import { jsonLine } from './json-line.ts';
import type { ResumableUploads } from './uploads/resumable-uploads.ts';
import { uploadRoutes } from './uploads/routes.ts';

export interface AppDeps {
  store: ByteStore;
  /** The media rules' pool (content checks, audio metadata); the caller closes it on shutdown. */
  inspector: ContentInspector;
  logger: Logger;
  /** Connection pools for /proxy; the caller closes them on shutdown. */
  upstreams: UpstreamRegistry;
  metrics: Metrics;
  /** Text for /metrics: this process's by default; in a cluster, the sum over the workers. */
  metricsText?: () => Promise<string>;
  /** tus resumable uploads at /uploads; the caller closes them on shutdown. */
  uploads?: ResumableUploads;
  /** Readiness checks beyond the store's (e.g. Redis), each returning its problems. */
  readinessChecks?: Array<() => Promise<string[]>>;
}

/** The Express app: routes and middleware only. No listening, no process.env, no globals. */
export function createApp(config: Config, deps: AppDeps): Express {
  const { store, logger, upstreams, metrics } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.response.json = jsonLine;
  app.set('trust proxy', config.server.trustProxy);

  app.use(requestLogger(logger));
  app.use(httpMetrics(metrics));
  // Before any body parser and before the security headers: proxied requests and answers pass
  // through untouched. First of the routes, so a proxied request is matched against no others.
  app.use('/proxy', rememberMount, proxyRoutes({ upstreams, logger, metrics }));

  app.use(
    healthRoutes({
      store,
      checks: deps.readinessChecks,
      metricsText: deps.metricsText ?? (() => metrics.text()),
      contentType: metrics.registry.contentType,
    }),
  );
  app.use(securityHeaders());
  // Before the routes: preflight requests are answered here (for /uploads, tus answers OPTIONS).
  if (config.cors.allowedOrigins.length > 0) {
    app.use('/media', corsFor(config.cors.allowedOrigins, false));
    app.use('/uploads', corsFor(config.cors.allowedOrigins, true));
  }
  // Ahead of any body parser: tus handlers read the request body themselves.
  if (deps.uploads) app.use('/uploads', rememberMount, writeRateLimit(config.rateLimit), uploadRoutes(config, deps.uploads));
  // The status mode first: a 429 of the rate limit is a media answer too (HTTP 200 in legacy mode).
  app.use(
    '/media',
    rememberMount,
    useStatusMode(config.media.statusMode),
    writeRateLimit(config.rateLimit),
    mediaRoutes({ config, store, inspector: deps.inspector, metrics }),
  );
  app.get('/auth', authStatus(config.auth));
  app.use('/chat', rememberMount, chatRoutes());
  app.use(libraryRoutes());

  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
