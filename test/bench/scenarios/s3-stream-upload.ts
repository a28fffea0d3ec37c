import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';
import { startCephRgw, type CephRgw } from '../../helpers/ceph-rgw.ts';
import { freshBucket, s3Client } from '../../helpers/s3.ts';
import { mp3Bytes } from '../lib/bodies.ts';
import type { BenchContext, Repeated } from '../lib/context.ts';
import type { ServerProcess } from '../lib/processes.ts';
import { measureStreamUpload, measureTusUpload } from '../lib/load.ts';
import { makeRow, type Target } from '../lib/results.ts';
import { s3Service, stagedPeak } from '../lib/s3.ts';
import { startService } from '../lib/service.ts';
import { GIB, MIB, toMBps } from '../lib/stats.ts';
import type { Scenario } from './scenario.ts';

// The service's defaults (storage.s3.partSize, storage.s3.queueSize), given to lib-storage too.
const PART_SIZE = 16 * MIB;
const QUEUE_SIZE = 4;
const NAME = 'streamed.mp3';

type Figures = { uploadMBps: number; peakRssMiB: number; peakStagedMiB: number; backgroundCpuPct: number };

/** `measure` on a fresh service storing in a fresh bucket of `rgw`; the service and the stored file go afterwards. */
async function withS3Service(
  ctx: BenchContext,
  rgw: CephRgw,
  name: string,
  measure: (server: Awaited<ReturnType<typeof s3Service>>, root: string) => Promise<Figures>,
): Promise<Figures> {
  const root = ctx.freshDir(name);
  const bucket = await freshBucket(rgw);
  const server = await s3Service(ctx, rgw, root, bucket, { maxFileSize: 2 * GIB });
  try {
    return await measure(server, root);
  } finally {
    await server.stop();
    await removeObject(rgw, bucket, `bench/${NAME}`);
  }
}

/** One 1 GiB POST /media with its `directory` field first (on S3: streamed into the bucket), `stagingDir` sampled meanwhile. */
async function postRun(server: ServerProcess, what: string, stagingDir?: string): Promise<Figures> {
  const staged = stagingDir ? stagedPeak(stagingDir) : undefined;
  try {
    const job = { concurrency: 1, size: GIB, filename: NAME, directoryField: true, timeoutSeconds: 600 };
    const up = await measureStreamUpload(server, job, what);
    return {
      uploadMBps: toMBps(up.bytesPerSec),
      peakRssMiB: server.peakRssBytes() / MIB,
      peakStagedMiB: (staged?.stop() ?? 0) / MIB,
      backgroundCpuPct: up.backgroundCpuPct,
    };
  } finally {
    staged?.stop();
  }
}

function serviceRun(ctx: BenchContext, rgw: CephRgw): Promise<Figures> {
  return withS3Service(ctx, rgw, 's3-stream', (server, root) =>
    postRun(server, 'service 1 GiB streamed upload', path.join(root, '.incoming')),
  );
}

/** The same POST /media on the local backend: the peak RSS the S3 one is held to (issue 25: local + 32 MiB). */
async function localRun(ctx: BenchContext): Promise<Figures> {
  const server = await startService({ root: ctx.freshDir('s3-stream-local'), media: { maxFileSize: 2 * GIB } });
  try {
    return await postRun(server, 'local 1 GiB upload');
  } finally {
    await server.stop();
  }
}

/**
 * One 1 GiB resumable upload in PATCHes of `chunkSize` (16 MiB: a part each; or the whole file, as
 * tus-js-client sends by default): its chunks become the parts of the file's multipart upload in place.
 */
function resumableRun(ctx: BenchContext, rgw: CephRgw, chunkSize: number): Promise<Figures> {
  return withS3Service(ctx, rgw, 's3-resumable', async (server) => {
    const job = { size: GIB, chunkSize, filename: NAME, timeoutSeconds: 600, finalStatus: 200 };
    const up = await measureTusUpload(server, job, 'service 1 GiB resumable upload on S3');
    return {
      uploadMBps: toMBps(up.bytesPerSec),
      peakRssMiB: server.peakRssBytes() / MIB,
      peakStagedMiB: 0,
      backgroundCpuPct: up.backgroundCpuPct,
    };
  });
}

/** 1 GiB from memory to the same gateway by the SDK itself: lib-storage's Upload, or one PutObject. */
async function sdkRun(rgw: CephRgw, how: 'libStorage' | 'putObject'): Promise<Figures> {
  const client = s3Client(rgw);
  const bucket = await freshBucket(rgw);
  const Key = `sdk-${randomUUID()}.mp3`;
  const block = mp3Bytes(MIB);
  const Body = Readable.from(
    (function* () {
      for (let i = 0; i < GIB / MIB; i++) yield block;
    })(),
  );
  try {
    const started = performance.now();
    if (how === 'libStorage') {
      await new Upload({ client, params: { Bucket: bucket, Key, Body }, partSize: PART_SIZE, queueSize: QUEUE_SIZE }).done();
    } else {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body, ContentLength: GIB }));
    }
    return { uploadMBps: toMBps(GIB / ((performance.now() - started) / 1000)), peakRssMiB: 0, peakStagedMiB: 0, backgroundCpuPct: 0 };
  } finally {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
    client.destroy();
  }
}

// The gateway's OSD keeps objects in RAM: each run's 1 GiB goes before the next one.
async function removeObject(rgw: CephRgw, Bucket: string, Key: string): Promise<void> {
  const client = s3Client(rgw);
  try {
    await client.send(new DeleteObjectCommand({ Bucket, Key }));
  } finally {
    client.destroy();
  }
}

/**
 * Issue 25: a 1 GiB POST /media on S3 streamed into a multipart upload, against lib-storage's
 * Upload (same part size and queue) and one PutObject of the SDK to the same gateway, interleaved;
 * with the service's peak RSS and the most its staging directory held during the upload.
 */
export const s3StreamUpload: Scenario = {
  name: 's3 streamed 1 GiB upload vs lib-storage',
  module: 'media',
  async run(ctx) {
    const rgw = await startCephRgw({ memstoreBytes: 8 * GIB });
    try {
      const runs = await ctx.interleave<{
        service: Figures;
        resumable: Figures;
        onePatch: Figures;
        libStorage: Figures;
        putObject: Figures;
        local: Figures;
      }>('s3 streamed 1 GiB', {
        service: () => serviceRun(ctx, rgw),
        resumable: () => resumableRun(ctx, rgw, PART_SIZE),
        onePatch: () => resumableRun(ctx, rgw, GIB),
        libStorage: () => sdkRun(rgw, 'libStorage'),
        putObject: () => sdkRun(rgw, 'putObject'),
        local: () => localRun(ctx),
      });
      const common = { scenario: this.name, backgroundCpuPct: runs.service.median.backgroundCpuPct, discardedRuns: runs.service.discarded };
      /** A contender's upload rate against a baseline's, same runs. */
      const speed = (figure: string, contender: Repeated<Figures>, baseline: { name: string; value: number }, target: Target) =>
        makeRow({
          ...common,
          figure,
          unit: 'MB/s',
          value: contender.median.uploadMBps,
          runs: contender.runs.map((r) => r.uploadMBps),
          baseline,
          target,
        });
      const streamedPost = { name: 'POST /media streamed, same service and RGW', value: runs.service.median.uploadMBps };
      return [
        speed(
          "1 GiB streamed upload MB/s, vs lib-storage's Upload (same partSize and queueSize)",
          runs.service,
          { name: '@aws-sdk/lib-storage Upload to the same RGW', value: runs.libStorage.median.uploadMBps },
          { ratioAtLeast: 0.9 },
        ),
        speed(
          "1 GiB streamed upload MB/s, vs the SDK's single PutObject",
          runs.service,
          { name: 'one PutObject to the same RGW', value: runs.putObject.median.uploadMBps },
          { report: true },
        ),
        speed('resumable 1 GiB in 16 MiB PATCHes MB/s, vs the streamed POST /media', runs.resumable, streamedPost, { ratioAtLeast: 0.8 }),
        speed(
          "resumable 1 GiB in one PATCH (tus-js-client's default chunkSize) MB/s, vs the streamed POST /media",
          runs.onePatch,
          streamedPost,
          { report: true },
        ),
        makeRow({
          ...common,
          figure: 'most bytes in the staging directory during a 1 GiB streamed upload',
          unit: 'MiB',
          value: Math.max(...runs.service.runs.map((r) => r.peakStagedMiB)),
          runs: runs.service.runs.map((r) => r.peakStagedMiB),
          target: { atMost: (PART_SIZE * QUEUE_SIZE) / MIB },
        }),
        makeRow({
          ...common,
          figure: 'peak RSS, 1 GiB streamed upload (highest run), vs the same upload on the local backend',
          unit: 'MiB',
          value: Math.max(...runs.service.runs.map((r) => r.peakRssMiB)),
          runs: runs.service.runs.map((r) => r.peakRssMiB),
          baseline: { name: 'local backend, highest run', value: Math.max(...runs.local.runs.map((r) => r.peakRssMiB)) },
          target: { aboveAtMost: 32 },
        }),
      ];
    } finally {
      await rgw.stop();
    }
  },
};
