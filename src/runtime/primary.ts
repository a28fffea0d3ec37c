import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { serveClusterMetrics } from './cluster-metrics.ts';
import { SHUTDOWN_MESSAGE } from './run-process.ts';

const FIRST_RESTART_DELAY_MS = 500;
const MAX_RESTART_DELAY_MS = 30_000;
/** A worker that lived this long is healthy: the next restart is immediate again. */
const HEALTHY_AFTER_MS = 10_000;

/**
 * The cluster primary: forks `count` workers sharing the port, replaces a worker that dies (with
 * a doubling delay while workers keep dying young, so a crash loop does not spin), and turns
 * SIGTERM/SIGINT into a graceful stop of every worker; a second signal kills them.
 */
export function runPrimary(count: number, logger: Logger): void {
  serveClusterMetrics();
  const bornAt = new Map<number, number>();
  let restartDelay = 0;
  let stopping = false;

  const fork = (): Worker => {
    const worker = cluster.fork();
    bornAt.set(worker.id, Date.now());
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (bornAt.get(worker.id) ?? Date.now());
    bornAt.delete(worker.id);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        logger.info('all workers stopped');
        process.exit(0);
      }
      return;
    }
    restartDelay = lived >= HEALTHY_AFTER_MS ? 0 : Math.min(MAX_RESTART_DELAY_MS, Math.max(FIRST_RESTART_DELAY_MS, restartDelay * 2));
    logger.error({ pid: worker.process.pid, code, signal, livedMs: lived, restartInMs: restartDelay }, 'worker died; replacing it');
    setTimeout(() => {
      if (!stopping) fork();
    }, restartDelay).unref();
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: killing workers');
        for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal, workers: Object.keys(cluster.workers ?? {}).length }, 'stopping workers');
      for (const worker of Object.values(cluster.workers ?? {})) {
        if (worker?.isConnected()) worker.send(SHUTDOWN_MESSAGE);
      }
    });
  }

  logger.info({ workers: count, pid: process.pid }, 'cluster primary starting workers');
  for (let i = 0; i < count; i++) fork();
}
