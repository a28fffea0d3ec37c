import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BenchContext } from './lib/context.ts';
import { measureLoad, warmUp, type LoadShape } from './lib/load.ts';
import { withContender, type Contender } from './lib/peers.ts';
import { startBaseline } from './lib/processes.ts';
import { GIB } from './lib/stats.ts';
import { filesRoot } from './scenarios/download.ts';

/**
 * `node --import tsx test/bench/thread-cpu.ts --root DIR --case small|range|proxy [--peer NAME]`:
 * one warm-up and one measured run against the service (or a peer of baselines/peers/), then the
 * CPU per request of each of its threads (by thread name, from /proc/<pid>/task): where a
 * request's CPU goes, beyond the main thread a profile shows. DIR holds bench/small.mp3 and
 * bench/large.mp3 (the download scenario's files; without --root they are made under
 * /tmp/perf-scratch and the path printed); after `npm run build`.
 */
const { values } = parseArgs({
  options: {
    root: { type: 'string' },
    case: { type: 'string', default: 'small' },
    peer: { type: 'string' },
    'cpu-prof': { type: 'string' },
    'node-arg': { type: 'string', multiple: true },
    seconds: { type: 'string', default: '6' },
  },
});
const TICK = 0.01;
function threads(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, 'N');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      byName.set(name, (byName.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) * TICK);
    } catch {
      // a thread that ended
    }
  }
  return byName;
}

const ctx = new BenchContext(
  { seconds: Number(values.seconds), warmupSeconds: 3, repeats: 1, cpuProfDir: values['cpu-prof'] },
  '/tmp/perf-scratch',
);
const shapes: Record<string, LoadShape> = {
  small: { connections: 32, expectStatus: 200, request: { kind: 'download', path: '/media/bench/small.mp3' } },
  range: {
    connections: 32,
    expectStatus: 206,
    request: { kind: 'download', path: '/media/bench/large.mp3', range: { fileSize: GIB, length: 65536 } },
  },
  proxy: { connections: 100, expectStatus: 200, request: { kind: 'get', path: '/proxy/up/item' } },
};
const shape = shapes[values.case!]!;
const upstream = values.case === 'proxy' ? await startBaseline('baselines/delayed-upstream.ts', '5') : undefined;
const root = values.root ?? (await filesRoot(ctx));
process.stdout.write(`files in ${root}\n`);
const contender: Contender = values.peer
  ? { peer: values.peer, argument: upstream?.url ?? root }
  : {
      service: {
        root,
        runtime: { node: process.execPath, args: values['node-arg'] ?? [] },
        config: upstream ? { proxy: { upstreams: { up: { url: `${upstream.url}/`, timeoutMs: 10_000 } } } } : undefined,
      },
    };
try {
  await withContender(ctx, 'thread-cpu', contender, async (server) => {
    await warmUp(ctx, server, shape);
    const before = threads(server.pid);
    const load = await measureLoad(ctx, server, shape, 'thread-cpu', upstream ? [upstream.pid] : []);
    const figures = {
      reqPerSec: load.reqPerSec,
      cpuUsPerRequest: (load.serverCpuSeconds * 1e6) / load.ok,
      backgroundCpuPct: load.backgroundCpuPct,
    };
    const after = threads(server.pid);
    const requests = load.ok;
    process.stdout.write(
      `${values.peer ?? 'service'} ${values.case}: ${Math.round(figures.reqPerSec)} req/s, ${Math.round(figures.cpuUsPerRequest)} us/request, other load ${Math.round(figures.backgroundCpuPct)}%\n`,
    );
    for (const [name, seconds] of after) {
      const us = ((seconds - (before.get(name) ?? 0)) * 1e6) / requests;
      if (us >= 1) process.stdout.write(`  ${name.padEnd(16)} ${Math.round(us)} us\n`);
    }
  });
} finally {
  await upstream?.stop();
}
