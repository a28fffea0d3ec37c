import type { BenchContext } from '../lib/context.ts';
import { dropLargeRun, measureTusUpload } from '../lib/load.ts';
import { withContender, type Contender } from '../lib/peers.ts';
import { makeRow } from '../lib/results.ts';
import { GIB, MIB, toMBps } from '../lib/stats.ts';
import type { Scenario } from './scenario.ts';

const SIZE = GIB;
const CHUNK = 16 * MIB;

type Figures = { mbPerSec: number; peakRssMiB: number; cpuSeconds: number; backgroundCpuPct: number };

/** One 1 GiB resumable upload in 16 MiB PATCHes into a fresh contender; its files go afterwards. */
async function run(ctx: BenchContext, name: string, contender: (root: string) => Contender, finalStatus: number): Promise<Figures> {
  const root = ctx.freshDir(`peer-tus-${name}`);
  try {
    return await withContender(ctx, `peer-tus-${name}-log`, contender(root), async (server) => {
      const job = { size: SIZE, chunkSize: CHUNK, filename: 'resumable.mp3', timeoutSeconds: 300, finalStatus };
      const result = await measureTusUpload(server, job, `${name} resumable 1 GiB`);
      return {
        mbPerSec: toMBps(result.bytesPerSec),
        peakRssMiB: server.peakRssBytes() / MIB,
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
        baseline: { name: peer, value: key === 'peakRssMiB' ? Math.max(...tus.runs.map((figures) => figures[key])) : tus.median[key] },
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
      row('CPU seconds (all threads)', 'cpuSeconds', 's', { report: true }),
    ];
  },
};
