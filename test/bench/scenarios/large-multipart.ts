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
async function largeRun(
  ctx: BenchContext,
  start: (root: string) => Promise<ServerProcess>,
  label: string,
  concurrency: number,
): Promise<LargeFigures> {
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

type Measured = { raw: Repeated<LargeFigures>; service: Repeated<LargeFigures>; serviceNoFsync: Repeated<LargeFigures> };

/**
 * Raw baseline and service, interleaved per repetition, once per invocation. The service runs
 * with its production setting (fsync on) and, to separate the disk from the service's own cost,
 * with fsync off: the raw baseline never waits for the disk (its bytes stay in the page cache).
 */
function measure(ctx: BenchContext, concurrency: number): Promise<Measured> {
  const label = `1 GiB c=${concurrency}`;
  const service = (fsync: boolean) => (root: string) =>
    startService({ root, media: { maxFileSize: 2 * GIB, fsync }, cpuProfDir: ctx.options.cpuProfDir });
  return ctx.memo(label, () =>
    ctx.interleave<{ raw: LargeFigures; service: LargeFigures; serviceNoFsync: LargeFigures }>(label, {
      raw: () => largeRun(ctx, (root) => startBaseline('baselines/raw-upload-server.ts', root), `raw-large-c${concurrency}`, concurrency),
      service: () => largeRun(ctx, service(true), `service-large-c${concurrency}`, concurrency),
      serviceNoFsync: () => largeRun(ctx, service(false), `service-large-nofsync-c${concurrency}`, concurrency),
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
      const { raw, service, serviceNoFsync } = await measure(ctx, concurrency);
      const backgroundCpuPct = service.median.backgroundCpuPct;
      for (const [measured, when] of [
        [service, 'fsync on'],
        [serviceNoFsync, 'fsync off'],
      ] as const) {
        rows.push(
          makeRow({
            scenario: this.name,
            figure: `MB/s, c=${concurrency}, ${when}`,
            unit: 'MB/s',
            value: measured.median.mbPerSec,
            runs: measured.runs.map((run) => run.mbPerSec),
            baseline: { name: 'raw node:http', value: raw.median.mbPerSec },
            target: { ratioAtLeast: 0.7 },
            backgroundCpuPct: measured.median.backgroundCpuPct,
            discardedRuns: measured.discarded,
          }),
        );
      }
      rows.push(
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
          discardedRuns: service.discarded,
        }),
      );
    }
    return rows;
  },
};
