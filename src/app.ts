import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { errorHandler, notFoundHandler } from './errors.ts';
import { mediaRoutes } from './media/routes.ts';
import { proxyRoutes } from './proxy/routes.ts';
import { UpstreamRegistry } from './proxy/upstream-registry.ts';
import type { MediaStore } from './storage/media-store.ts';

export interface AppDeps {
  store: MediaStore;
  logger: Logger;
  /**
   * Connection pools for /proxy. server.ts passes its own so it can close them on shutdown; when
   * absent the app makes one, which is harmless: pools open sockets only when a request is proxied.
   */
  upstreams?: UpstreamRegistry;
}

/** The Express app: routes and error mapping only. No listening, no process.env, no globals. */
export function createApp(config: Config, deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Before any body parser: proxied bodies stream to the upstream unread.
  app.use('/proxy', proxyRoutes({ upstreams: deps.upstreams ?? new UpstreamRegistry(config.proxy), logger: deps.logger }));
  app.use('/media', mediaRoutes({ config, store: deps.store }));

  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
