import type { BenchContext } from '../lib/context.ts';
import { dropLargeRun, measureLoad, measureStreamUpload, warmUp, type LoadShape } from '../lib/load.ts';
import { node20 } from '../lib/node20.ts';
import { figureRows, type FigureSpec } from '../lib/results.ts';
import { startService } from '../lib/service.ts';
import { SMALL_CONNECTIONS, SMALL_SIZE } from '../lib/small-uploads.ts';
import { GIB, MIB, toMBps } from '../lib/stats.ts';
import type { Scenario } from './scenario.ts';

type Runtime = { node: string; args: string[] } | undefined;
type SmallFigures = { cpuUsPerUpload: number; reqPerSec: number; backgroundCpuPct: number };
type LargeFigures = { mbPerSec: number; peakRssMiB: number; backgroundCpuPct: number };

const smallShape: LoadShape = {
  connections: SMALL_CONNECTIONS,
  request: { kind: 'multipart-upload', size: SMALL_SIZE },
  expectStatus: 200,
};

/** 64 KiB multipart uploads at c=32, fsync on: the server's CPU time (all threads, /proc) per upload. */
async function smallRun(ctx: BenchContext, runtime: Runtime, label: string): Promise<SmallFigures> {
  const service = await startService({
    root: ctx.freshDir(`runtime-small-${label}`),
    media: { fsync: true },
    runtime,
    cpuProfDir: ctx.options.cpuProfDir,
  });
  try {
    await warmUp(ctx, service, smallShape);
    const load = await measureLoad(ctx, service, smallShape, `runtime ${label} 64 KiB`);
    return { cpuUsPerUpload: (load.serverCpuSeconds / load.ok) * 1e6, reqPerSec: load.reqPerSec, backgroundCpuPct: load.backgroundCpuPct };
  } finally {
    await service.stop();
  }
}

/** One 1 GiB multipart upload, fsync on: MB/s and the service's peak RSS. */
async function largeRun(ctx: BenchContext, runtime: Runtime, label: string): Promise<LargeFigures> {
  const root = ctx.freshDir(`runtime-large-${label}`);
  const service = await startService({ root, media: { maxFileSize: 2 * GIB, fsync: true }, runtime, cpuProfDir: ctx.options.cpuProfDir });
  try {
    const result = await measureStreamUpload(service, { concurrency: 1, size: GIB, timeoutSeconds: 300 }, `runtime ${label} 1 GiB`);
    return { mbPerSec: toMBps(result.bytesPerSec), peakRssMiB: service.peakRssBytes() / MIB, backgroundCpuPct: result.backgroundCpuPct };
  } finally {
    await service.stop();
    dropLargeRun(root);
  }
}

const smallFigures: FigureSpec<'cpuUsPerUpload' | 'reqPerSec'>[] = [
  ['CPU per 64 KiB upload (all threads), c=32, fsync on', 'cpuUsPerUpload', 'us', { ratioAtMost: 1 }],
  ['uploads/s 64 KiB, c=32, fsync on', 'reqPerSec', 'req/s', { report: true }],
];
const largeFigures: FigureSpec<'mbPerSec' | 'peakRssMiB'>[] = [
  ['1 GiB upload MB/s, c=1, fsync on', 'mbPerSec', 'MB/s', { report: true }],
  ['peak RSS during the 1 GiB upload (median)', 'peakRssMiB', 'MiB', { report: true }],
];

/**
 * The same build (dist/) on this Node (24, from the `node` dependency) and on Node 20 installed
 * the same way at bench time (lib/node20.ts), interleaved run by run: what the runtime alone gives.
 */
export const runtime: Scenario = {
  name: 'runtime Node 24 vs Node 20',
  module: 'media',
  async run(ctx) {
    const old = node20();
    ctx.log(`this Node ${process.version}, baseline Node ${old.version} at ${old.node}`);
    const small = await ctx.interleave<{ current: SmallFigures; node20: SmallFigures }>('runtime 64 KiB c=32', {
      current: () => smallRun(ctx, undefined, 'current'),
      node20: () => smallRun(ctx, old, 'node20'),
    });
    const large = await ctx.interleave<{ current: LargeFigures; node20: LargeFigures }>('runtime 1 GiB c=1', {
      current: () => largeRun(ctx, undefined, 'current'),
      node20: () => largeRun(ctx, old, 'node20'),
    });
    const baselineName = `Node ${old.version}`;
    return [
      ...figureRows(this.name, smallFigures, small.current, { name: baselineName, median: small.node20.median }),
      ...figureRows(this.name, largeFigures, large.current, { name: baselineName, median: large.node20.median }),
    ];
  },
};
