import cluster from 'node:cluster';
import os from 'node:os';
import { pino } from 'pino';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { runPrimary } from './runtime/primary.ts';
import { runProcess } from './runtime/run-process.ts';

function readConfig(): Config {
  try {
    return loadConfig({ env: process.env, cwd: process.cwd() });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

const config = readConfig();
const logger = pino({ level: config.log.level });
const workers = config.server.workers === 0 ? os.availableParallelism() : config.server.workers;

if (workers > 1 && cluster.isPrimary) {
  if (!config.chat.redisUrl) {
    logger.warn({ workers }, 'chat.redisUrl is not set: chat rooms are per worker, so clients on different workers do not meet');
  }
  runPrimary(workers, config.server, logger);
} else {
  // BENCH_EVENT_LOOP=1: the benchmark's event-loop probe (test/bench), never in production.
  await runProcess(config, logger, { eventLoopProbe: process.env.BENCH_EVENT_LOOP === '1' });
}
