import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freshBucket, s3Client } from '../helpers/s3.ts';

// The harness: the run's throw-away Ceph cluster is a real S3 peer, with the conditional PUT the
// S3 backend builds on (TOOLCHAIN.md: RGW 16 enforces If-None-Match on PutObject).
describe('the test run’s Ceph RADOS Gateway', () => {
  const rgw = inject('rgw');
  const client = s3Client(rgw);
  afterAll(() => client.destroy());

  it('stores an object and refuses a second conditional PUT of its key with 412', async () => {
    const bucket = await freshBucket(rgw);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'a/b.mp3', Body: 'first', IfNoneMatch: '*' }));
    const second = client.send(new PutObjectCommand({ Bucket: bucket, Key: 'a/b.mp3', Body: 'second', IfNoneMatch: '*' }));
    await expect(second).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'a/b.mp3' }));
    expect(await got.Body!.transformToString()).toBe('first');
  });
});
