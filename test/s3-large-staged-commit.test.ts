import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { S3Store } from '../src/storage/s3/s3-store.ts';
import { freshBucket, s3Client } from './helpers/s3.ts';
import { startS3Recorder, type S3Recorder } from './helpers/s3-recorder.ts';
import { openS3Store } from './helpers/s3-store.ts';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';

// Issue 25: a staged file larger than one PutObject may carry (5 GiB; 8 MiB here) is committed as
// a multipart upload instead of being refused.
const PART = 5 * 1024 * 1024;
const rgw = inject('rgw');
const client = s3Client(rgw);
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
let bucket: string;
let recorder: S3Recorder;
let store: S3Store;

beforeAll(async () => {
  bucket = await freshBucket(rgw);
  recorder = await startS3Recorder(rgw.endpoint);
  store = await openS3Store(rgw, bucket, { endpoint: recorder.url, partSize: PART, maxPutBytes: 8 * 1024 * 1024 });
}, 60_000);
afterAll(async () => {
  await store.close();
  await recorder.close();
  client.destroy();
});

describe('S3Store.commit of a staged file over one PutObject', () => {
  it('sends it as a multipart upload, with its sha256 and attributes, never replacing a file', async () => {
    const bytes = randomBytes(3 * PART + 7);
    recorder.reset();
    const stored = await store.commit(await store.stage(bytes), { directory: 'big', name: 'staged.wav' }, { contentType: 'audio/wav' });
    expect(stored).toMatchObject({ size: bytes.length, sha256: sha256(bytes) });
    expect(recorder.traffic.multipartSends).toBe(1 + 4);
    expect(await store.head({ directory: 'big', name: 'staged.wav' })).toMatchObject({
      size: bytes.length,
      sha256: sha256(bytes),
      attributes: { contentType: 'audio/wav' },
    });
    await expect(
      store.commit(await store.stage(randomBytes(2 * PART)), { directory: 'big', name: 'staged.wav' }, {}),
    ).rejects.toMatchObject({
      codeName: 'FILE_EXISTS',
    });
    expect((await store.head({ directory: 'big', name: 'staged.wav' }))?.sha256).toBe(sha256(bytes));
    expect((await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).toEqual([]);
    expect(await store.staged()).toEqual([]);
  });

  it('keeps one PutObject for a staged file up to the limit', async () => {
    const bytes = randomBytes(8 * 1024 * 1024);
    recorder.reset();
    const stored = await store.commit(await store.stage(bytes), { directory: 'big', name: 'put.wav' }, {});
    expect(stored.sha256).toBe(sha256(bytes));
    expect(recorder.traffic.multipartSends).toBe(0);
  });
});
