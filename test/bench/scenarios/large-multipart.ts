import type { BenchContext, Repeated } from '../lib/context.ts';
import { dropLargeRun, measureStreamUpload } from '../lib/load.ts';
import { startBaseline, type ServerProcess } from '../lib/processes.ts';
import { makeRow, type ResultRow } from '../lib/results.ts';
import { startService } from '../lib/service.ts';
import { GIB, MIB, toMBps } from '../lib/stats.ts';
import type { Scenario } from './scenario.ts';

const SIZE = GIB;
const CONCURRENCY = [1, 4];

type LargeFigures = { mbPerSec: number; peakRssMiB: number; backgroundCpuPct: number };

/** One run: `concurrency` uploads of 1 GiB at once into a fresh directory, then the files go. */
async function largeRun(ctx: BenchContext, start: (root: string) => Promise<ServerProcess>, label: string, concurrency: number): Promise<LargeFigures> {
  const root = ctx.freshDir(label);
  const server = await start(root);
  try {
    const result = await measureStreamUpload(server, { concurrency, size: SIZE, timeoutSeconds: 300 }, label);
    return { mbPerSec: toMBps(result.bytesPerSec), peakRssMiB: server.peakRssBytes() / MIB, backgroundCpuPct: result.backgroundCpuPct };
  } finally {
    await server.stop();
    dropLargeRun(root);
  }
}

/** Raw baseline and service, interleaved per repetition, once per invocation. */
function measure(ctx: BenchContext, concurrency: number): Promise<{ raw: Repeated<LargeFigures>; service: Repeated<LargeFigures> }> {
  const label = `1 GiB c=${concurrency}`;
  return ctx.memo(label, () =>
    ctx.interleave<{ raw: LargeFigures; service: LargeFigures }>(label, {
      raw: () => largeRun(ctx, (root) => startBaseline('baselines/raw-upload-server.ts', root), `raw-large-c${concurrency}`, concurrency),
      service: () =>
        largeRun(
          ctx,
          (root) => startService({ root, media: { maxFileSize: 2 * GIB }, cpuProfDir: ctx.options.cpuProfDir }),
          `service-large-c${concurrency}`,
          concurrency,
        ),
    }),
  );
}

/** 1 GiB multipart uploads streamed from the load process, c=1 and c=4: MB/s and peak RSS. */
export const largeMultipart: Scenario = {
  name: 'large multipart 1 GiB',
  module: 'media',
  async run(ctx) {
    const rows: ResultRow[] = [];
    for (const concurrency of CONCURRENCY) {
      const { raw, service } = await measure(ctx, concurrency);
      const backgroundCpuPct = service.median.backgroundCpuPct;
      rows.push(
        makeRow({
          scenario: this.name,
          figure: `MB/s, c=${concurrency}, fsync on`,
          unit: 'MB/s',
          value: service.median.mbPerSec,
          runs: service.runs.map((run) => run.mbPerSec),
          baseline: { name: 'raw node:http', value: raw.median.mbPerSec },
          target: { ratioAtLeast: 0.7 },
          backgroundCpuPct,
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
          backgroundCpuPct,
        }),
      );
    }
    return rows;
  },
};
