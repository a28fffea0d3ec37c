import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { chatRoutes } from './chat/routes.ts';
import type { Config } from './config.ts';
import { errorHandler, notFoundHandler } from './errors.ts';
import { mediaRoutes } from './media/routes.ts';
import type { MediaStore } from './storage/media-store.ts';

export interface AppDeps {
  store: MediaStore;
  logger: Logger;
}

/** The Express app: routes and error mapping only. No listening, no process.env, no globals. */
export function createApp(config: Config, deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use('/media', mediaRoutes({ config, store: deps.store }));
  app.use('/chat', chatRoutes());

  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
