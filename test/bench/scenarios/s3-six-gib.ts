import { HeadObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { startCephRgw } from '../../helpers/ceph-rgw.ts';
import { freshBucket, s3Client } from '../../helpers/s3.ts';
import { mp3Bytes } from '../lib/bodies.ts';
import { measureStreamUpload } from '../lib/load.ts';
import { makeRow } from '../lib/results.ts';
import { s3Service, stagedPeak } from '../lib/s3.ts';
import { GIB, MIB, toMBps } from '../lib/stats.ts';
import type { Scenario } from './scenario.ts';

const SIZE = 6 * GIB;
const NAME = 'six.mp3';
// The service's defaults (storage.s3.partSize, storage.s3.queueSize).
const PART_SIZE = 16 * MIB;
const QUEUE_SIZE = 4;

/** The sha256 of what the load process sends: its 1 MiB block over and over. */
function expectedSha256(): string {
  const block = mp3Bytes(MIB);
  const hash = createHash('sha256');
  for (let sent = 0; sent < SIZE; sent += MIB) hash.update(block);
  return hash.digest('hex');
}

/**
 * Issue 25: one upload past S3's 5 GiB PutObject limit, streamed by POST /media into a multipart
 * upload, once (it takes a minute or more): the host's staging and memory sampled throughout, the
 * object then read back by the AWS SDK (its size, no multipart upload left) and its sha256 from the
 * service's listing held to the bytes sent. Its own gateway: the suite's keeps 3 GiB in RAM.
 */
export const s3SixGib: Scenario = {
  name: 's3 streamed 6 GiB upload',
  module: 'media',
  async run(ctx) {
    const rgw = await startCephRgw({ memstoreBytes: 8 * GIB });
    const client = s3Client(rgw);
    const root = ctx.freshDir('s3-six-gib');
    let server: Awaited<ReturnType<typeof s3Service>> | undefined;
    try {
      const bucket = await freshBucket(rgw);
      server = await s3Service(ctx, rgw, root, bucket, { maxFileSize: 7 * GIB });
      const staged = stagedPeak(path.join(root, '.incoming'));
      const job = { concurrency: 1, size: SIZE, filename: NAME, directoryField: true, timeoutSeconds: 1200 };
      const up = await measureStreamUpload(server, job, 'service 6 GiB streamed upload');
      const peakStagedMiB = staged.stop() / MIB;
      const peakRssMiB = server.peakRssBytes() / MIB;

      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: `bench/${NAME}` }));
      if (head.ContentLength !== SIZE) throw new Error(`the bucket holds ${head.ContentLength} bytes of ${SIZE}`);
      const pending = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      if ((pending.Uploads ?? []).length > 0) throw new Error(`${pending.Uploads!.length} multipart uploads left pending`);
      const listing = (await (await fetch(`${server.url}/media?directory=bench`)).json()) as {
        files: Array<{ filename: string; sha256: string }>;
      };
      const listed = listing.files.find((file) => file.filename === NAME)?.sha256;
      if (listed !== expectedSha256()) throw new Error(`the listing says sha256 ${listed}, not the bytes sent`);

      const common = { scenario: this.name, backgroundCpuPct: up.backgroundCpuPct };
      return [
        makeRow({
          ...common,
          figure: '6 GiB streamed upload MB/s (stored, size and sha256 checked)',
          unit: 'MB/s',
          value: toMBps(up.bytesPerSec),
          runs: [toMBps(up.bytesPerSec)],
          target: { report: true },
        }),
        makeRow({
          ...common,
          figure: 'most bytes in the staging directory during a 6 GiB streamed upload',
          unit: 'MiB',
          value: peakStagedMiB,
          runs: [peakStagedMiB],
          target: { atMost: (PART_SIZE * QUEUE_SIZE) / MIB },
        }),
        makeRow({
          ...common,
          figure: 'peak RSS, 6 GiB streamed upload',
          unit: 'MiB',
          value: peakRssMiB,
          runs: [peakRssMiB],
          target: { report: true },
        }),
      ];
    } finally {
      await server?.stop();
      client.destroy();
      await rgw.stop();
    }
  },
};
