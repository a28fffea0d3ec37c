import { closeSync, openSync, rmSync } from 'node:fs';
import type { BenchContext, Repeated } from './context.ts';
import { measureLoad, warmUp, type LoadShape } from './load.ts';
import { serverProcess, spawnBenchScript, watchOutput, type ServerProcess } from './processes.ts';
import { makeRow, type ResultRow, type Target } from './results.ts';
import { startService, type ServiceOptions } from './service.ts';

/**
 * The issue 30 comparisons: the service and the servers a user would otherwise pick
 * (baselines/peers/), each writing one request line per request at info to a log file of the
 * run, so every contender pays the same logging (and its own Prometheus histogram).
 */

/** A log file for one run's request lines; removed when the run ends (a few files: no deletion dip). */
function logFileFor(ctx: BenchContext, label: string): string {
  return `${ctx.freshDir(label)}.log`;
}

/** Starts a peer (baselines/peers/<name>.ts <argument>), its stdout (the request lines) going to `logFile`. */
async function startPeer(name: string, argument: string, logFile: string): Promise<ServerProcess> {
  const log = openSync(logFile, 'a');
  const script = `baselines/peers/${name}.ts`;
  const child = spawnBenchScript(script, [argument], ['ignore', log, 'pipe']);
  closeSync(log);
  const output = watchOutput(child);
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr!.on('data', () => {
      const match = /listening (\d+)/.exec(output());
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${output()}`)));
  });
  return serverProcess(child, `http://127.0.0.1:${port}`, output);
}

/** The service at log level info, its stdout going to a log file like the peers'. */
function startLoggingService(options: ServiceOptions, logFile: string): Promise<ServerProcess> {
  return startService({ ...options, logLevel: 'info', logFile });
}

/** A contender of one run: the service (given its options) or a peer script (given its argument). */
export type Contender = { service: Omit<ServiceOptions, 'logLevel' | 'logFile'> } | { peer: string; argument: string };

/** Starts `contender` for one run, measures it, stops it by its PID and removes its log (kept with BENCH_KEEP_LOGS=1). */
export async function withContender<T>(
  ctx: BenchContext,
  label: string,
  contender: Contender,
  measure: (server: ServerProcess) => Promise<T>,
): Promise<T> {
  const logFile = logFileFor(ctx, label);
  const server =
    'service' in contender
      ? await startLoggingService({ ...contender.service, cpuProfDir: ctx.options.cpuProfDir }, logFile)
      : await startPeer(contender.peer, contender.argument, logFile);
  try {
    return await measure(server);
  } finally {
    await server.stop();
    if (!process.env.BENCH_KEEP_LOGS) rmSync(logFile, { force: true });
  }
}

/** What one autocannon run against a contender gives: req/s and the CPU (all threads) per answered request. */
export type PeerFigures = { reqPerSec: number; cpuUsPerRequest: number; backgroundCpuPct: number };

/** Warm-up, then one measured run; `helperPids` (an upstream) count as neither the server's CPU nor other load. */
export async function measurePeerLoad(
  ctx: BenchContext,
  server: ServerProcess,
  shape: LoadShape,
  label: string,
  helperPids: number[] = [],
): Promise<PeerFigures> {
  await warmUp(ctx, server, shape);
  const load = await measureLoad(ctx, server, shape, label, helperPids);
  return { reqPerSec: load.reqPerSec, cpuUsPerRequest: (load.serverCpuSeconds * 1e6) / load.ok, backgroundCpuPct: load.backgroundCpuPct };
}

/** A peer's measurements and the targets the service's req/s and CPU per request have against it. */
export interface PeerComparison {
  name: string;
  figures: Repeated<PeerFigures>;
  reqPerSec: Target;
  cpuUsPerRequest: Target;
}

/** Per peer, two rows: the service's req/s and its CPU per request against the peer's, same runs. */
export function peerRows(scenario: string, what: string, service: Repeated<PeerFigures>, peers: PeerComparison[]): ResultRow[] {
  return peers.flatMap((peer) =>
    (
      [
        ['req/s', 'reqPerSec', 'req/s'],
        ['CPU per request (all threads)', 'cpuUsPerRequest', 'us'],
      ] as const
    ).map(([figure, key, unit]) =>
      makeRow({
        scenario,
        figure: `${what}, ${figure}, vs ${peer.name}`,
        unit,
        value: service.median[key],
        runs: service.runs.map((run) => run[key]),
        baseline: { name: peer.name, value: peer.figures.median[key] },
        target: peer[key],
        backgroundCpuPct: service.median.backgroundCpuPct,
        discardedRuns: service.discarded,
      }),
    ),
  );
}
