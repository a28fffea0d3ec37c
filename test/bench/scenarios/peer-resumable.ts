import type { BenchContext } from '../lib/context.ts';
import { dropLargeRun, measureTusUpload } from '../lib/load.ts';
import { withContender, type Contender } from '../lib/peers.ts';
import { makeRow } from '../lib/results.ts';
import { GIB, MIB, toMBps } from '../lib/stats.ts';
import type { Scenario } from './scenario.ts';

const SIZE = GIB;
const CHUNK = 16 * MIB;

/**
 * The service analyses the file once it is stored (minutes of one core for 1 GiB of audio): its
 * peak RSS is also read this long after the upload, once the analysis thread has settled in.
 */
const ANALYSIS_WINDOW_MS = 5000;

type Figures = { mbPerSec: number; peakRssMiB: number; analysisPeakRssMiB: number; cpuSeconds: number; backgroundCpuPct: number };

/** One 1 GiB resumable upload in 16 MiB PATCHes into a fresh contender; its files go afterwards. */
async function run(ctx: BenchContext, name: string, contender: (root: string) => Contender, finalStatus: number): Promise<Figures> {
  const root = ctx.freshDir(`peer-tus-${name}`);
  try {
    return await withContender(ctx, `peer-tus-${name}-log`, contender(root), async (server) => {
      const job = { size: SIZE, chunkSize: CHUNK, filename: 'resumable.mp3', timeoutSeconds: 300, finalStatus };
      const result = await measureTusUpload(server, job, `${name} resumable 1 GiB`);
      const peakRssMiB = server.peakRssBytes() / MIB;
      await new Promise((resolve) => setTimeout(resolve, ANALYSIS_WINDOW_MS));
      return {
        mbPerSec: toMBps(result.bytesPerSec),
        peakRssMiB,
        analysisPeakRssMiB: server.peakRssBytes() / MIB,
        cpuSeconds: result.serverCpuSeconds,
        backgroundCpuPct: result.backgroundCpuPct,
      };
    });
  } finally {
    dropLargeRun(root);
  }
}

/**
 * Issue 30: 1 GiB through the service's /uploads (fsync on) against plain `@tus/server` with
 * `@tus/file-store` (no checksum, content check, publishing or fsync), both logging at info.
 */
export const peerResumable: Scenario = {
  name: 'peers: resumable 1 GiB, 16 MiB chunks',
  module: 'media',
  async run(ctx) {
    const { service, tus } = await ctx.interleave<{ service: Figures; tus: Figures }>('peers resumable 1 GiB', {
      service: () => run(ctx, 'service', (root) => ({ service: { root, media: { maxFileSize: 2 * GIB, fsync: true } } }), 200),
      tus: () => run(ctx, 'tus', (root) => ({ peer: 'tus-file-store', argument: root }), 204),
    });
    const peer = '@tus/server + @tus/file-store';
    const row = (
      figure: string,
      key: keyof Figures,
      unit: string,
      target: Parameters<typeof makeRow>[0]['target'],
      value = service.median[key],
    ) =>
      makeRow({
        scenario: this.name,
        figure,
        unit,
        value,
        runs: service.runs.map((figures) => figures[key]),
        baseline: { name: peer, value: key.endsWith('RssMiB') ? Math.max(...tus.runs.map((figures) => figures[key])) : tus.median[key] },
        target,
        backgroundCpuPct: service.median.backgroundCpuPct,
        discardedRuns: service.discarded,
      });
    return [
      row('MB/s', 'mbPerSec', 'MB/s', { ratioAtLeast: 1 }),
      row(
        'peak RSS (highest run)',
        'peakRssMiB',
        'MiB',
        { aboveAtMost: 32 },
        Math.max(...service.runs.map((figures) => figures.peakRssMiB)),
      ),
      row(
        'peak RSS with 5 s of the analysis (highest run)',
        'analysisPeakRssMiB',
        'MiB',
        { report: true },
        Math.max(...service.runs.map((figures) => figures.analysisPeakRssMiB)),
      ),
      row('CPU seconds (all threads)', 'cpuSeconds', 's', { report: true }),
    ];
  },
};
