import type { RequestListener } from 'node:http';
import express from 'express';
import type { Logger } from 'pino';
import { Access } from './access/access.ts';
import type { AudioAnalysis } from './analysis/audio-analysis.ts';
import { waveformRoutes } from './media/waveform-routes.ts';
import { signedUrlRoutes } from './media/signed-url-routes.ts';
import { authStatus } from './auth.ts';
import { chatRoutes } from './chat/routes.ts';
import type { Config } from './config.ts';
import { errorHandler, notFoundHandler } from './http/error-handler.ts';
import { useStatusMode } from './http/answers.ts';
import { libraryRoutes } from './library/routes.ts';
import { downloadRoute } from './media/download-route.ts';
import { mediaRoutes } from './media/routes.ts';
import { healthRoutes } from './observability/health-routes.ts';
import { httpMetrics } from './observability/http-metrics.ts';
import type { Metrics } from './observability/metrics.ts';
import { rememberMount, requestLogger } from './observability/request-logger.ts';
import { withRouteAhead } from './proxy/ahead-of-router.ts';
import { proxyHandler, proxyRoutes } from './proxy/routes.ts';
import type { UpstreamRegistry } from './proxy/upstream-registry.ts';
import { keyWriteRateLimit, securityHeaders, writeRateLimit } from './security.ts';
import type { ContentInspector } from './media/content-inspector.ts';
import type { PublishPipeline } from './media/publish-pipeline.ts';
import type { ByteStore } from './storage/byte-store.ts';
import { corsFor } from './cors.ts';
import { eventRoutes } from './events/routes.ts';
import type { Events } from './events/events.ts';
import { jsonLine } from './json-line.ts';
import type { ResumableUploads } from './uploads/resumable-uploads.ts';
import { uploadRoutes } from './uploads/routes.ts';

export interface AppDeps {
  store: ByteStore;
  /** The media rules' pool (content checks, audio metadata); the caller closes it on shutdown. */
  inspector: ContentInspector;
  /** The one publish pipeline of POST /media and resumable uploads. */
  pipeline: PublishPipeline;
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
  /** Keys and signed URLs; by default from config.auth, on the system clock. */
  access?: Access;
  /** Waveform peaks and loudness of stored files (GET /waveforms, `analysis` in metadata); the caller closes it. */
  analysis?: AudioAnalysis;
  /** The event log, webhooks and live feed (GET /events); the caller closes it on shutdown. */
  events?: Events;
}

/** The Express app: routes and middleware only. No listening, no process.env, no globals. */
export function createApp(config: Config, deps: AppDeps): RequestListener {
  const { store, logger, upstreams, metrics } = deps;
  const access = deps.access ?? new Access(config.auth);
  // Preflights carry no credentials (a signed URL's query string only, maybe expired by now).
  const identify: express.RequestHandler = (req, res, next) => (req.method === 'OPTIONS' ? next() : access.identify(req, res, next));
  const writeLimits = [writeRateLimit(config.rateLimit), keyWriteRateLimit(config.rateLimit)];
  const app = express();
  app.disable('x-powered-by');
  app.response.json = jsonLine;
  app.set('trust proxy', config.server.trustProxy);

  const observe = [requestLogger(logger), httpMetrics(metrics)];
  app.use(...observe);
  // Before any body parser and before the security headers: proxied requests and answers pass
  // through untouched. First of the routes, so a proxied request is matched against no others.
  const proxy = proxyHandler({ upstreams, logger, metrics });
  app.use('/proxy', rememberMount, proxyRoutes(proxy));
  const security = securityHeaders();
  const mediaCors = config.cors.allowedOrigins.length > 0 ? [corsFor(config.cors.allowedOrigins, false)] : [];
  // GET and HEAD of a file, ahead of the routers they cannot match: the same headers, CORS,
  // status mode and credentials as the media router gives them, and nothing else.
  app.use(
    '/media',
    downloadRoute({
      store,
      inspector: deps.inspector,
      access,
      analysis: deps.analysis,
      statusMode: config.media.statusMode,
      before: [security, ...mediaCors],
    }),
  );

  // Unprotected metrics ignore credentials, so a scraper with a stale token keeps working.
  if (access.protectMetrics) {
    app.get('/metrics', identify, (_req, res, next) => {
      access.mayReadMetrics(access.principal(res));
      next();
    });
  }
  app.use(
    healthRoutes({
      store,
      checks: deps.readinessChecks,
      metricsText: deps.metricsText ?? (() => metrics.text()),
      contentType: metrics.registry.contentType,
    }),
  );
  app.use(security);
  // Before the routes: preflight requests are answered here (for /uploads, tus answers OPTIONS).
  if (config.cors.allowedOrigins.length > 0) {
    app.use('/media', ...mediaCors);
    app.use('/uploads', corsFor(config.cors.allowedOrigins, true));
  }
  // Ahead of any body parser: tus handlers read the request body themselves.
  if (deps.uploads) app.use('/uploads', rememberMount, identify, ...writeLimits, uploadRoutes(access, deps.uploads));
  // The status mode first: a 429 of the rate limit is a media answer too (HTTP 200 in legacy mode).
  app.use(
    '/media',
    rememberMount,
    useStatusMode(config.media.statusMode),
    identify,
    ...writeLimits,
    mediaRoutes({
      config,
      store,
      inspector: deps.inspector,
      pipeline: deps.pipeline,
      metrics,
      access,
      analysis: deps.analysis,
      events: deps.events,
    }),
  );
  if (deps.analysis) {
    const waveforms = waveformRoutes(config.analysis, store, deps.analysis, access);
    // Statuses as the code table says in both status modes: a 503 with Retry-After is how a client knows to wait.
    app.use('/waveforms', rememberMount, identify, waveforms);
  }
  if (deps.events) app.use('/events', rememberMount, identify, eventRoutes(deps.events, access));
  app.use('/signed-urls', rememberMount, useStatusMode(config.media.statusMode), identify, signedUrlRoutes(config, access));
  app.get('/auth', identify, authStatus(access));
  app.use('/chat', rememberMount, chatRoutes());
  app.use(libraryRoutes());

  app.use(notFoundHandler);
  const onError = errorHandler(logger);
  app.use(onError);
  return withRouteAhead(app, { mount: '/proxy', before: observe, handler: proxy, onError });
}
