import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { serveClusterMetrics } from './cluster-metrics.ts';
import { SHUTDOWN_MESSAGE, START_FAILED_MESSAGE } from './run-process.ts';

const FIRST_RESTART_DELAY_MS = 500;
const MAX_RESTART_DELAY_MS = 30_000;
/** A worker that lived this long is healthy: the next restart is immediate again. */
const HEALTHY_AFTER_MS = 10_000;

/**
 * The cluster primary: forks `count` workers sharing the port, replaces a worker that dies (with
 * a doubling delay while workers keep dying young, so a crash loop does not spin), and turns
 * SIGTERM/SIGINT into a graceful stop of every worker; a second signal kills them.
 * It gives up (kills the workers, exit 1) when `server.workerDeathLimit` workers died within
 * `server.workerDeathWindowMs`, or when a worker reports a start-up failure, which a restart
 * would only repeat.
 */
export function runPrimary(count: number, config: Config['server'], logger: Logger): void {
  serveClusterMetrics();
  const bornAt = new Map<number, number>();
  const deathTimes: number[] = [];
  const pendingRestarts = new Set<NodeJS.Timeout>();
  let restartDelay = 0;
  let stopping = false;

  const liveWorkers = () => Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
  const fork = (): Worker => {
    const worker = cluster.fork();
    bornAt.set(worker.id, Date.now());
    return worker;
  };
  const cancelRestarts = () => {
    for (const timer of pendingRestarts) clearTimeout(timer);
    pendingRestarts.clear();
  };
  const giveUp = (): never => {
    stopping = true;
    cancelRestarts();
    for (const worker of liveWorkers()) worker.process.kill('SIGKILL');
    process.exit(1);
  };

  cluster.on('message', (_worker, message: { type?: string; line?: string }) => {
    if (message?.type !== START_FAILED_MESSAGE || stopping) return;
    process.stderr.write(`${message.line}\n`);
    giveUp();
  });

  cluster.on('exit', (worker, code, signal) => {
    const now = Date.now();
    const lived = now - (bornAt.get(worker.id) ?? now);
    bornAt.delete(worker.id);
    if (stopping) {
      if (liveWorkers().length === 0) {
        logger.info('all workers stopped');
        process.exit(0);
      }
      return;
    }
    deathTimes.push(now);
    while (deathTimes[0]! <= now - config.workerDeathWindowMs) deathTimes.shift();
    const death = { pid: worker.process.pid, code, signal, livedMs: lived };
    if (deathTimes.length >= config.workerDeathLimit) {
      logger.fatal(
        { ...death, deaths: deathTimes.length, windowMs: config.workerDeathWindowMs },
        'worker died; too many deaths, giving up',
      );
      giveUp();
    }
    restartDelay = lived >= HEALTHY_AFTER_MS ? 0 : Math.min(MAX_RESTART_DELAY_MS, Math.max(FIRST_RESTART_DELAY_MS, restartDelay * 2));
    logger.error({ ...death, restartInMs: restartDelay }, 'worker died; replacing it');
    // Not unref'ed: while every worker is dead, this timer is what keeps the primary alive.
    const timer = setTimeout(() => {
      pendingRestarts.delete(timer);
      fork();
    }, restartDelay);
    pendingRestarts.add(timer);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: killing workers');
        giveUp();
      }
      stopping = true;
      cancelRestarts();
      const workers = liveWorkers();
      logger.info({ signal, workers: workers.length }, 'stopping workers');
      if (workers.length === 0) {
        logger.info('all workers stopped');
        process.exit(0);
      }
      for (const worker of workers) {
        if (worker.isConnected()) worker.send(SHUTDOWN_MESSAGE);
        else worker.process.kill('SIGTERM');
      }
    });
  }

  logger.info({ workers: count }, 'cluster primary starting workers');
  for (let i = 0; i < count; i++) fork();
}
