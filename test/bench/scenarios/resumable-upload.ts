import type { BenchContext } from '../lib/context.ts';
import { dropLargeRun, measureStreamUpload, measureTusUpload } from '../lib/load.ts';
import { makeRow, type ResultRow } from '../lib/results.ts';
import { startService } from '../lib/service.ts';
import { GIB, MIB, toMBps } from '../lib/stats.ts';
import type { Scenario } from './scenario.ts';

const SIZE = GIB;
const CHUNK = 16 * MIB;

type Figures = { mbPerSec: number; peakRssMiB: number; backgroundCpuPct: number };

/** One 1 GiB upload into a fresh service (fsync on, as in production), then the files go. */
async function run(ctx: BenchContext, label: string, resumable: boolean): Promise<Figures> {
  const root = ctx.freshDir(label);
  const server = await startService({ root, media: { maxFileSize: 2 * GIB, fsync: true }, cpuProfDir: ctx.options.cpuProfDir });
  try {
    const result = resumable
      ? await measureTusUpload(server, { size: SIZE, chunkSize: CHUNK, filename: 'resumable.mp3', timeoutSeconds: 300 }, label)
      : await measureStreamUpload(server, { concurrency: 1, size: SIZE, filename: 'multipart.mp3', timeoutSeconds: 300 }, label);
    return { mbPerSec: toMBps(result.bytesPerSec), peakRssMiB: server.peakRssBytes() / MIB, backgroundCpuPct: result.backgroundCpuPct };
  } finally {
    await server.stop();
    dropLargeRun(root);
  }
}

/** 1 GiB through /uploads in 16 MiB PATCHes against the same file through POST /media, interleaved. */
export const resumableUpload: Scenario = {
  name: 'resumable upload 1 GiB',
  module: 'media',
  async run(ctx) {
    const { multipart, resumable } = await ctx.interleave<{ multipart: Figures; resumable: Figures }>('resumable 1 GiB', {
      multipart: () => run(ctx, 'multipart-for-tus', false),
      resumable: () => run(ctx, 'tus-16mib', true),
    });
    const rows: ResultRow[] = [
      makeRow({
        scenario: this.name,
        figure: 'MB/s, 16 MiB chunks, fsync on',
        unit: 'MB/s',
        value: resumable.median.mbPerSec,
        runs: resumable.runs.map((figures) => figures.mbPerSec),
        baseline: { name: 'the same file through POST /media', value: multipart.median.mbPerSec },
        target: { ratioAtLeast: 0.8 },
        backgroundCpuPct: resumable.median.backgroundCpuPct,
        discardedRuns: resumable.discarded,
      }),
      makeRow({
        scenario: this.name,
        figure: 'peak RSS of the service (highest run)',
        unit: 'MiB',
        value: Math.max(...resumable.runs.map((figures) => figures.peakRssMiB)),
        runs: resumable.runs.map((figures) => figures.peakRssMiB),
        baseline: { name: 'POST /media', value: Math.max(...multipart.runs.map((figures) => figures.peakRssMiB)) },
        target: { atMost: 150 },
        backgroundCpuPct: resumable.median.backgroundCpuPct,
        discardedRuns: resumable.discarded,
      }),
    ];
    return rows;
  },
};
