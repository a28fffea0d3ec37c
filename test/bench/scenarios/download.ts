import { MULTIPART_TYPE, mp3Bytes, multipartBody } from '../lib/bodies.ts';
import type { BenchContext } from '../lib/context.ts';
import { measureLoad, measureStreamDownload, measureStreamUpload, warmUp, type LoadShape } from '../lib/load.ts';
import { startBaseline, type ServerProcess } from '../lib/processes.ts';
import { makeRow, type ResultRow } from '../lib/results.ts';
import { startService } from '../lib/service.ts';
import { analysisSettled, recordRepeatedAudio } from '../lib/settled-analysis.ts';
import { GIB, toMBps } from '../lib/stats.ts';
import type { Scenario } from './scenario.ts';

const SMALL = 64 * 1024;
export const SMALL_PATH = '/media/bench/small.mp3';
export const LARGE_PATH = '/media/bench/large.mp3';

type DownloadFigures = { reqPerSec: number; mbPerSec: number; backgroundCpuPct: number };

interface DownloadCase {
  figure: string;
  /** The figure compared with the baseline. */
  key: 'reqPerSec' | 'mbPerSec';
  /** Share of the raw createReadStream server's figure the service must reach. */
  ratioAtLeast: number;
  run(ctx: BenchContext, server: ServerProcess, label: string): Promise<DownloadFigures>;
  /** Also measure Express 5 alone doing the raw server's work (a diagnostic row). */
  withExpressFloor?: boolean;
}

/** autocannon for many small answers (whole small files, or ranges). */
function autocannonCase(figure: string, key: DownloadCase['key'], ratioAtLeast: number, shape: LoadShape): DownloadCase {
  return {
    figure,
    key,
    ratioAtLeast,
    async run(ctx, server, label) {
      await warmUp(ctx, server, shape);
      const load = await measureLoad(ctx, server, shape, label);
      return { reqPerSec: load.reqPerSec, mbPerSec: toMBps(load.readBytesPerSec), backgroundCpuPct: load.backgroundCpuPct };
    },
  };
}

const CASES: DownloadCase[] = [
  // Issue 15: 80% of the raw server for small files.
  {
    ...autocannonCase('64 KiB file, whole, c=32', 'reqPerSec', 0.8, {
      connections: 32,
      expectStatus: 200,
      request: { kind: 'download', path: SMALL_PATH },
    }),
    withExpressFloor: true,
  },
  {
    figure: '1 GiB file, whole, c=4',
    key: 'mbPerSec',
    ratioAtLeast: 0.7,
    async run(ctx, server, label) {
      const result = await measureStreamDownload(ctx, server, { path: LARGE_PATH, concurrency: 4 }, label);
      return {
        reqPerSec: result.completed / result.seconds,
        mbPerSec: toMBps(result.bytesPerSec),
        backgroundCpuPct: result.backgroundCpuPct,
      };
    },
  },
  // 64 KiB ranges: with 1 MiB ones autocannon's own parsing capped both servers at ~170 req/s.
  autocannonCase('1 GiB file, random 64 KiB ranges, c=32', 'reqPerSec', 0.7, {
    connections: 32,
    expectStatus: 206,
    request: { kind: 'download', path: LARGE_PATH, range: { fileSize: GIB, length: SMALL } },
  }),
];

/** One storage root holding bench/small.mp3 and bench/large.mp3, uploaded through the API. */
export function filesRoot(ctx: BenchContext): Promise<string> {
  return ctx.memo('download files', async () => {
    const root = ctx.freshDir('download');
    const service = await startService({ root, media: { maxFileSize: 2 * GIB } });
    let sha256: string;
    try {
      const res = await fetch(`${service.url}/media`, {
        method: 'POST',
        headers: { 'content-type': MULTIPART_TYPE },
        body: new Uint8Array(multipartBody('bench', 'small.mp3', mp3Bytes(SMALL))),
      });
      if (res.status !== 200) throw new Error(`download setup: upload answered ${res.status}`);
      await measureStreamUpload(service, { concurrency: 1, size: GIB, filename: 'large.mp3', timeoutSeconds: 300 }, 'download setup');
      await analysisSettled(service.url, SMALL_PATH);
      sha256 = (await fetch(`${service.url}${LARGE_PATH}`, { method: 'HEAD' })).headers.get('etag')!.slice(1, -1);
    } finally {
      await service.stop();
    }
    // With the service stopped: its analysis of the large file, under way until then, writes nothing now.
    await recordRepeatedAudio(
      root,
      { key: { directory: 'bench', name: 'small.mp3' }, size: SMALL },
      { key: { directory: 'bench', name: 'large.mp3' }, size: GIB, sha256 },
    );
    return root;
  });
}

async function downloadRun(
  start: () => Promise<ServerProcess>,
  measure: (server: ServerProcess) => Promise<DownloadFigures>,
): Promise<DownloadFigures> {
  const server = await start();
  try {
    return await measure(server);
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
    const startFloor = () => startBaseline('baselines/express-download-floor.ts', root);
    for (const { figure, key, ratioAtLeast, run, withExpressFloor } of CASES) {
      const { raw, service, floor } = await ctx.interleave<{ raw: DownloadFigures; service: DownloadFigures; floor?: DownloadFigures }>(
        `download ${figure}`,
        {
          raw: () => downloadRun(startRaw, (server) => run(ctx, server, `raw-download-server ${figure}`)),
          service: () => downloadRun(startOwn, (server) => run(ctx, server, `service download ${figure}`)),
          ...(withExpressFloor
            ? { floor: () => downloadRun(startFloor, (server) => run(ctx, server, `express-download-floor ${figure}`)) }
            : {}),
        },
      );
      rows.push(
        makeRow({
          scenario: this.name,
          figure,
          unit: key === 'reqPerSec' ? 'req/s' : 'MB/s',
          value: service.median[key],
          runs: service.runs.map((r) => r[key]),
          baseline: { name: 'raw createReadStream', value: raw.median[key] },
          target: { ratioAtLeast },
          backgroundCpuPct: service.median.backgroundCpuPct,
          discardedRuns: service.discarded,
        }),
      );
      if (floor?.median) {
        const floorRuns = floor.runs.filter((r): r is DownloadFigures => r !== undefined);
        rows.push(
          makeRow({
            scenario: this.name,
            figure: `${figure}, Express 5 alone (diagnostic)`,
            unit: 'req/s',
            value: floor.median.reqPerSec,
            runs: floorRuns.map((r) => r.reqPerSec),
            baseline: { name: 'raw createReadStream', value: raw.median.reqPerSec },
            target: { report: true },
            backgroundCpuPct: floor.median.backgroundCpuPct,
            discardedRuns: floor.discarded,
          }),
        );
      }
    }
    return rows;
  },
};
