import cluster from 'node:cluster';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { startService } from './service.ts';

/** IPC message the cluster primary sends to ask a worker for a graceful stop. */
export const SHUTDOWN_MESSAGE = 'media-service:shutdown';

/**
 * Runs the service in this process until SIGTERM/SIGINT (or the primary's shutdown message):
 * graceful stop, exit 0. A second signal forces exit 1.
 */
export async function runProcess(config: Config, logger: Logger, options: { eventLoopProbe?: boolean } = {}): Promise<void> {
  const service = await startService(config, { logger, clustered: cluster.isWorker, eventLoopProbe: options.eventLoopProbe });
  logger.info({ url: service.url, root: config.storage.root, pid: process.pid }, `listening on ${service.url}`);

  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ why, graceMs: config.server.shutdownGraceMs }, 'stopping');
    service.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (!stopping) return stop(signal);
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    });
  }
  process.on('message', (message) => {
    if (message === SHUTDOWN_MESSAGE) stop('primary');
  });
}
