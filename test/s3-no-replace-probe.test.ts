import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, expect, inject, it } from 'vitest';
import { startService } from './helpers/app.ts';
import { freshBucket, s3Client } from './helpers/s3.ts';
import { s3Backend } from './helpers/s3-service.ts';
import { waitFor } from './helpers/wait.ts';

// README "No-replace on S3": each host probes its bucket at start and logs which guarantee holds.
const rgw = inject('rgw');
const client = s3Client(rgw);
afterAll(() => client.destroy());

it("logs at start that on Ceph RGW 16 no-replace of multipart uploads holds among the service's hosts only", async () => {
  const bucket = await freshBucket(rgw);
  const service = await startService(s3Backend(rgw, bucket, { prefix: 'media' }));
  try {
    const probed = () => service.logs.find((line) => line.msg.startsWith('no-replace of multipart uploads'));
    await waitFor('the probe to log its finding', () => probed() !== undefined, 15_000);
    expect(probed()).toMatchObject({
      enforced: false,
      msg: "no-replace of multipart uploads: among the service's hosts only (the bucket ignores If-None-Match on completion)",
    });
  } finally {
    await service.close();
  }
  expect((await client.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount).toBe(0);
  expect((await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).toEqual([]);
});
