import { MULTIPART_TYPE, mp3Bytes, multipartBody } from '../lib/bodies.ts';
import type { BenchContext } from '../lib/context.ts';
import { measureLoad, warmUp, type LoadShape } from '../lib/load.ts';
import { makeRow } from '../lib/results.ts';
import { startService } from '../lib/service.ts';
import { toMBps } from '../lib/stats.ts';
import type { Scenario } from './scenario.ts';

const SMALL = 64 * 1024;
const PATH = '/media/bench/small.mp3';
const TOKEN = 'bench-token';
const bearer = { authorization: `Bearer ${TOKEN}` };
/** Reads need a key, so the bearer run checks one on every request, as the signed run checks its signature. */
const AUTH = { tokens: [TOKEN], protectReads: true, signingKeys: [{ id: 'bench', secret: 'a-signing-secret-of-at-least-32-characters' }] };

type Figures = { reqPerSec: number; mbPerSec: number; backgroundCpuPct: number };

/** One storage root holding bench/small.mp3, uploaded through the API, and a signed URL of it valid for the whole bench. */
function setUp(ctx: BenchContext): Promise<{ root: string; signedPath: string }> {
  return ctx.memo('signed download files', async () => {
    const root = ctx.freshDir('signed-download');
    const service = await startService({ root, config: { auth: AUTH } });
    try {
      const stored = await fetch(`${service.url}/media`, {
        method: 'POST',
        headers: { ...bearer, 'content-type': MULTIPART_TYPE },
        body: new Uint8Array(multipartBody('bench', 'small.mp3', mp3Bytes(SMALL))),
      });
      if (stored.status !== 200) throw new Error(`signed download setup: upload answered ${stored.status}`);
      const signed = await fetch(`${service.url}/signed-urls`, {
        method: 'POST',
        headers: { ...bearer, 'content-type': 'application/json' },
        body: JSON.stringify({ operation: 'download', directory: 'bench', filename: 'small.mp3', expiresIn: 7 * 24 * 3600 }),
      });
      const { url } = (await signed.json()) as { url: string };
      const { pathname, search } = new URL(url);
      return { root, signedPath: `${pathname}${search}` };
    } finally {
      await service.stop();
    }
  });
}

async function measure(ctx: BenchContext, root: string, shape: LoadShape, label: string): Promise<Figures> {
  const server = await startService({ root, config: { auth: AUTH }, cpuProfDir: ctx.options.cpuProfDir });
  try {
    await warmUp(ctx, server, shape);
    const load = await measureLoad(ctx, server, shape, label);
    return { reqPerSec: load.reqPerSec, mbPerSec: toMBps(load.readBytesPerSec), backgroundCpuPct: load.backgroundCpuPct };
  } finally {
    await server.stop();
  }
}

/** Issue 22: 64 KiB downloads by signed URL (a JWT verified per request) against the same downloads with a bearer token. */
export const signedDownload: Scenario = {
  name: 'signed download',
  module: 'media',
  async run(ctx) {
    const { root, signedPath } = await setUp(ctx);
    const figure = '64 KiB file by signed URL, c=32';
    const shape = (path: string, headers: Record<string, string>): LoadShape => ({
      connections: 32,
      expectStatus: 200,
      request: { kind: 'download', path, headers },
    });
    const { signed, token } = await ctx.interleave<{ signed: Figures; token: Figures }>(`signed download ${figure}`, {
      token: () => measure(ctx, root, shape(PATH, bearer), 'bearer token download'),
      signed: () => measure(ctx, root, shape(signedPath, {}), 'signed URL download'),
    });
    return [
      makeRow({
        scenario: this.name,
        figure,
        unit: 'req/s',
        value: signed.median.reqPerSec,
        runs: signed.runs.map((r) => r.reqPerSec),
        baseline: { name: 'the same with a bearer token', value: token.median.reqPerSec },
        target: { ratioAtLeast: 0.95 },
        backgroundCpuPct: signed.median.backgroundCpuPct,
        discardedRuns: signed.discarded,
      }),
    ];
  },
};
