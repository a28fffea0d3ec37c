import type { BenchContext, Repeated } from '../lib/context.ts';
import { dropLargeRun, measureStreamUpload } from '../lib/load.ts';
import { startBaseline, type ServerProcess } from '../lib/processes.ts';
import { makeRow, type ResultRow } from '../lib/results.ts';
import { startService } from '../lib/service.ts';
import { GIB, MIB, toMBps } from '../lib/stats.ts';
import type { Scenario } from './scenario.ts';

const SIZE = GIB;
const CONCURRENCY = [1, 4];

type LargeFigures = { mbPerSec: number; peakRssMiB: number };

/** One run: `concurrency` uploads of 1 GiB at once into a fresh directory, then the files go. */
async function largeRun(ctx: BenchContext, start: (root: string) => Promise<ServerProcess>, label: string, concurrency: number): Promise<LargeFigures> {
  const root = ctx.freshDir(label);
  const server = await start(root);
  try {
    const result = await measureStreamUpload(server, { concurrency, size: SIZE, timeoutSeconds: 300 }, label);
    return { mbPerSec: toMBps(result.bytesPerSec), peakRssMiB: server.peakRssBytes() / MIB };
  } finally {
    await server.stop();
    dropLargeRun(root);
  }
}

function measure(ctx: BenchContext, who: 'raw' | 'service', concurrency: number): Promise<Repeated<LargeFigures>> {
  const label = `${who === 'raw' ? 'raw-upload-server' : 'service'} 1 GiB c=${concurrency}`;
  const start = who === 'raw'
    ? (root: string) => startBaseline('baselines/raw-upload-server.ts', root)
    : (root: string) => startService({ root, media: { maxFileSize: 2 * GIB }, cpuProfDir: ctx.options.cpuProfDir });
  return ctx.memo(label, () => ctx.repeat(label, () => largeRun(ctx, start, `${who}-large-c${concurrency}`, concurrency)));
}

/** 1 GiB multipart uploads streamed from the load process, c=1 and c=4: MB/s and peak RSS. */
export const largeMultipart: Scenario = {
  name: 'large multipart 1 GiB',
  module: 'media',
  async run(ctx) {
    const rows: ResultRow[] = [];
    for (const concurrency of CONCURRENCY) {
      const raw = await measure(ctx, 'raw', concurrency);
      const service = await measure(ctx, 'service', concurrency);
      rows.push(
        makeRow({
          scenario: this.name,
          figure: `MB/s, c=${concurrency}, fsync on`,
          unit: 'MB/s',
          value: service.median.mbPerSec,
          runs: service.runs.map((run) => run.mbPerSec),
          baseline: { name: 'raw node:http', value: raw.median.mbPerSec },
          target: { ratioAtLeast: 0.7 },
        }),
        makeRow({
          scenario: this.name,
          // The highest run, not the median: a memory ceiling is about the worst case.
          figure: `peak RSS of the service (highest run), c=${concurrency}`,
          unit: 'MiB',
          value: Math.max(...service.runs.map((run) => run.peakRssMiB)),
          runs: service.runs.map((run) => run.peakRssMiB),
          baseline: { name: 'raw node:http', value: Math.max(...raw.runs.map((run) => run.peakRssMiB)) },
          target: { atMost: 150 },
        }),
      );
    }
    return rows;
  },
};
