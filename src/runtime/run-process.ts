import cluster from 'node:cluster';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { startService, type Service } from './service.ts';
import { startFailureLine } from './start-failure.ts';

/** IPC message the cluster primary sends to ask a worker for a graceful stop. */
export const SHUTDOWN_MESSAGE = 'media-service:shutdown';
/** IPC message type a worker sends when it cannot start; the primary prints its line and gives up. */
export const START_FAILED_MESSAGE = 'media-service:start-failed';

/**
 * Runs the service in this process until SIGTERM/SIGINT (or the primary's shutdown message):
 * graceful stop, exit 0. A second signal forces exit 1.
 */
export async function runProcess(config: Config, logger: Logger, options: { eventLoopProbe?: boolean } = {}): Promise<void> {
  // eslint-disable-next-line prefer-const -- assigned once start-up is done; signals read it before then
  let service: Service | undefined;
  let stopRequested: string | undefined;
  let stopping = false;
  const stop = (why: string) => {
    if (!service) {
      stopRequested ??= why;
      return;
    }
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
  // Handlers before the "listening" line: a signal sent on seeing it must not meet the default
  // action (instant death) in the moment before they exist.
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

  service = await startService(config, { logger, clustered: cluster.isWorker, eventLoopProbe: options.eventLoopProbe }).catch(
    (error: unknown) => {
      const line = startFailureLine(error, config);
      if (line === undefined) throw error;
      return exitWithStartFailure(line);
    },
  );
  logger.info({ url: service.url, root: config.storage.root }, `listening on ${service.url}`);
  if (stopRequested) stop(stopRequested);
}

/** Prints the one line on stderr (a worker hands it to its primary, so a cluster prints it once) and exits 1. */
function exitWithStartFailure(line: string): Promise<never> {
  if (cluster.isWorker) process.send!({ type: START_FAILED_MESSAGE, line }, () => process.exit(1));
  else process.stderr.write(`${line}\n`, () => process.exit(1));
  return new Promise<never>(() => {});
}
