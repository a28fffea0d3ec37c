import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { startCephRgw, type CephRgw } from '../../helpers/ceph-rgw.ts';
import { freshBucket, s3Client } from '../../helpers/s3.ts';
import { mp3Bytes } from '../lib/bodies.ts';
import type { BenchContext } from '../lib/context.ts';
import { measureLoad, measureStreamDownload, measureStreamUpload, warmUp, type LoadShape } from '../lib/load.ts';
import type { ServerProcess } from '../lib/processes.ts';
import { makeRow } from '../lib/results.ts';
import { s3Service } from '../lib/s3.ts';
import { startService } from '../lib/service.ts';
import { GIB, MIB, toMBps } from '../lib/stats.ts';
import type { Scenario } from './scenario.ts';

const SMALL: LoadShape = { connections: 32, request: { kind: 'multipart-upload', size: 64 * 1024 }, expectStatus: 200 };
const LARGE_NAME = 'large.mp3';

type SmallFigures = { reqPerSec: number; p99Ms: number; backgroundCpuPct: number };
type LargeFigures = { uploadMBps: number; downloadMBps: number; peakRssMiB: number; backgroundCpuPct: number };

async function smallRun(ctx: BenchContext, start: () => Promise<ServerProcess>, label: string): Promise<SmallFigures> {
  const server = await start();
  try {
    await warmUp(ctx, server, SMALL);
    const load = await measureLoad(ctx, server, SMALL, label);
    return { reqPerSec: load.reqPerSec, p99Ms: load.latencyP99Ms, backgroundCpuPct: load.backgroundCpuPct };
  } finally {
    await server.stop();
  }
}

/** One 1 GiB upload through the service, then whole downloads of it for the run's length. */
async function largeRun(ctx: BenchContext, server: ServerProcess, label: string): Promise<LargeFigures> {
  try {
    const up = await measureStreamUpload(
      server,
      { concurrency: 1, size: GIB, filename: LARGE_NAME, timeoutSeconds: 600 },
      `${label} upload`,
    );
    const down = await measureStreamDownload(ctx, server, { path: `/media/bench/${LARGE_NAME}`, concurrency: 1 }, `${label} download`);
    // The gateway's OSD keeps objects in RAM: each run's 1 GiB goes before the next one.
    await fetch(`${server.url}/media?directory=bench&filename=${LARGE_NAME}`, { method: 'DELETE' });
    return {
      uploadMBps: toMBps(up.bytesPerSec),
      downloadMBps: toMBps(down.bytesPerSec),
      peakRssMiB: server.peakRssBytes() / MIB,
      backgroundCpuPct: up.backgroundCpuPct,
    };
  } finally {
    await server.stop();
  }
}

/** The floor: the AWS SDK's own PutObject (streamed, from memory) and GetObject of 1 GiB to the same gateway. */
async function sdkRun(rgw: CephRgw, bucket: string): Promise<LargeFigures> {
  const client = s3Client(rgw);
  try {
    const block = mp3Bytes(MIB);
    const key = `sdk-${randomUUID()}.mp3`;
    let started = performance.now();
    const body = Readable.from(
      (function* () {
        for (let i = 0; i < GIB / MIB; i++) yield block;
      })(),
    );
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: GIB }));
    const uploadMBps = toMBps(GIB / ((performance.now() - started) / 1000));
    started = performance.now();
    const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    let bytes = 0;
    for await (const chunk of answer.Body as Readable) bytes += (chunk as Buffer).length;
    const downloadMBps = toMBps(bytes / ((performance.now() - started) / 1000));
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    return { uploadMBps, downloadMBps, peakRssMiB: 0, backgroundCpuPct: 0 };
  } finally {
    client.destroy();
  }
}

/**
 * Issue 16 on a one-node Ceph RADOS Gateway started for the run (memstore OSD: the bucket's bytes
 * live in RAM): small uploads as a ratio of the local backend; one 1 GiB upload and its download
 * as a ratio of the AWS SDK's own PutObject/GetObject to the same gateway; peak RSS of the
 * service on S3 against the local backend's.
 */
export const s3Rgw: Scenario = {
  name: 's3 backend on Ceph RGW',
  module: 'media',
  async run(ctx) {
    // Room for a few 1 GiB objects at once (deleted ones stay until RGW's garbage collection).
    const rgw = await startCephRgw({ memstoreBytes: 8 * GIB });
    try {
      const small = await ctx.interleave<{ local: SmallFigures; s3: SmallFigures }>('s3 small 64 KiB c=32', {
        local: () => smallRun(ctx, () => startService({ root: ctx.freshDir('s3-small-local') }), 'local 64 KiB'),
        s3: async () => {
          const bucket = await freshBucket(rgw);
          return smallRun(ctx, () => s3Service(ctx, rgw, ctx.freshDir('s3-small'), bucket), 's3 64 KiB');
        },
      });
      const large = await ctx.interleave<{ sdk: LargeFigures; local: LargeFigures; s3: LargeFigures }>('s3 1 GiB', {
        sdk: async () => sdkRun(rgw, await freshBucket(rgw)),
        local: async () =>
          largeRun(ctx, await startService({ root: ctx.freshDir('s3-large-local'), media: { maxFileSize: 2 * GIB } }), 'local 1 GiB'),
        s3: async () =>
          largeRun(ctx, await s3Service(ctx, rgw, ctx.freshDir('s3-large'), await freshBucket(rgw), { maxFileSize: 2 * GIB }), 's3 1 GiB'),
      });
      const common = { scenario: this.name, backgroundCpuPct: large.s3.median.backgroundCpuPct, discardedRuns: large.s3.discarded };
      return [
        makeRow({
          scenario: this.name,
          figure: 'uploads/s 64 KiB c=32, vs the local backend',
          unit: 'req/s',
          value: small.s3.median.reqPerSec,
          runs: small.s3.runs.map((r) => r.reqPerSec),
          baseline: { name: 'local backend', value: small.local.median.reqPerSec },
          target: { report: true },
          backgroundCpuPct: small.s3.median.backgroundCpuPct,
          discardedRuns: small.s3.discarded,
        }),
        makeRow({
          scenario: this.name,
          figure: 'latency p99 64 KiB c=32',
          unit: 'ms',
          value: small.s3.median.p99Ms,
          runs: small.s3.runs.map((r) => r.p99Ms),
          baseline: { name: 'local backend', value: small.local.median.p99Ms },
          target: { report: true },
          backgroundCpuPct: small.s3.median.backgroundCpuPct,
          discardedRuns: small.s3.discarded,
        }),
        ...(['uploadMBps', 'downloadMBps'] as const).map((key) =>
          makeRow({
            ...common,
            figure: `1 GiB ${key === 'uploadMBps' ? 'upload' : 'download'} MB/s, vs the SDK's own ${key === 'uploadMBps' ? 'PutObject' : 'GetObject'}`,
            unit: 'MB/s',
            value: large.s3.median[key],
            runs: large.s3.runs.map((r) => r[key]),
            baseline: { name: 'AWS SDK to the same RGW', value: large.sdk.median[key] },
            target: { ratioAtLeast: 0.7 },
          }),
        ),
        makeRow({
          ...common,
          figure: 'peak RSS, 1 GiB upload and downloads (highest run)',
          unit: 'MiB',
          value: Math.max(...large.s3.runs.map((r) => r.peakRssMiB)),
          runs: large.s3.runs.map((r) => r.peakRssMiB),
          baseline: { name: 'local backend', value: Math.max(...large.local.runs.map((r) => r.peakRssMiB)) },
          target: { atMost: Math.round(Math.max(...large.local.runs.map((r) => r.peakRssMiB)) + 32) },
        }),
      ];
    } finally {
      await rgw.stop();
    }
  },
};
