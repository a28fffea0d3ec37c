import type { BenchContext } from '../lib/context.ts';
import { measureLoad, measureStreamUpload, warmUp, type LoadShape } from '../lib/load.ts';
import { startBaseline, type ServerProcess } from '../lib/processes.ts';
import { makeRow, type ResultRow } from '../lib/results.ts';
import { startService } from '../lib/service.ts';
import { GIB, toMBps } from '../lib/stats.ts';
import { MULTIPART_TYPE, mp3Bytes, multipartBody } from '../lib/bodies.ts';
import type { Scenario } from './scenario.ts';

const SMALL = 64 * 1024;

interface DownloadCase {
  figure: string;
  shape: LoadShape;
  /** The figure compared with the baseline. */
  key: 'reqPerSec' | 'mbPerSec';
}

const CASES: DownloadCase[] = [
  { figure: '64 KiB file, whole, c=32', key: 'reqPerSec', shape: { connections: 32, expectStatus: 200, request: { kind: 'download', path: '/media/bench/small.mp3' } } },
  { figure: '1 GiB file, whole, c=4', key: 'mbPerSec', shape: { connections: 4, expectStatus: 200, request: { kind: 'download', path: '/media/bench/large.mp3' } } },
  {
    figure: '1 GiB file, random 1 MiB ranges, c=32',
    key: 'mbPerSec',
    shape: { connections: 32, expectStatus: 206, request: { kind: 'download', path: '/media/bench/large.mp3', range: { fileSize: GIB, length: 1 << 20 } } },
  },
];

/** One storage root holding bench/small.mp3 and bench/large.mp3, uploaded through the API. */
function filesRoot(ctx: BenchContext): Promise<string> {
  return ctx.memo('download files', async () => {
    const root = ctx.freshDir('download');
    const service = await startService({ root, media: { maxFileSize: 2 * GIB } });
    try {
      const res = await fetch(`${service.url}/media`, {
        method: 'POST',
        headers: { 'content-type': MULTIPART_TYPE },
        body: new Uint8Array(multipartBody('bench', 'small.mp3', mp3Bytes(SMALL))),
      });
      if (res.status !== 200) throw new Error(`download setup: upload answered ${res.status}`);
      await measureStreamUpload(service, { concurrency: 1, size: GIB, filename: 'large.mp3', timeoutSeconds: 300 }, 'download setup');
    } finally {
      await service.stop();
    }
    return root;
  });
}

type DownloadFigures = { reqPerSec: number; mbPerSec: number; p99Ms: number; backgroundCpuPct: number };

async function downloadRun(ctx: BenchContext, start: () => Promise<ServerProcess>, label: string, shape: LoadShape): Promise<DownloadFigures> {
  const server = await start();
  try {
    await warmUp(ctx, server, shape);
    const load = await measureLoad(ctx, server, shape, label);
    return { reqPerSec: load.reqPerSec, mbPerSec: toMBps(load.readBytesPerSec), p99Ms: load.latencyP99Ms, backgroundCpuPct: load.backgroundCpuPct };
  } finally {
    await server.stop();
  }
}

/** Downloads of a 64 KiB and a 1 GiB file, whole and by ranges, against a raw createReadStream server. */
export const download: Scenario = {
  name: 'download',
  module: 'media',
  async run(ctx) {
    const root = await filesRoot(ctx);
    // The raw server serves the same files: its root is the service's `<root>` (bench/... below it).
    const startRaw = () => startBaseline('baselines/raw-download-server.ts', root);
    const startOwn = () => startService({ root, cpuProfDir: ctx.options.cpuProfDir });
    const rows: ResultRow[] = [];
    for (const { figure, shape, key } of CASES) {
      const { raw, service } = await ctx.interleave<{ raw: DownloadFigures; service: DownloadFigures }>(`download ${figure}`, {
        raw: () => downloadRun(ctx, startRaw, `raw-download-server ${figure}`, shape),
        service: () => downloadRun(ctx, startOwn, `service download ${figure}`, shape),
      });
      const unit = key === 'reqPerSec' ? 'req/s' : 'MB/s';
      rows.push(
        makeRow({
          scenario: this.name,
          figure,
          unit,
          value: service.median[key],
          runs: service.runs.map((run) => run[key]),
          baseline: { name: 'raw createReadStream', value: raw.median[key] },
          target: { ratioAtLeast: 0.7 },
          backgroundCpuPct: service.median.backgroundCpuPct,
        }),
      );
    }
    return rows;
  },
};
