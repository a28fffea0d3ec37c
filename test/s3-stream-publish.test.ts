import { HeadObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ContentInspector } from '../src/media/content-inspector.ts';
import type { CreatedIntent, EventHook } from '../src/media/event-hook.ts';
import { StreamPublish } from '../src/media/stream-publish.ts';
import type { S3Store } from '../src/storage/s3/s3-store.ts';
import { sox } from './helpers/audio-tools.ts';
import { freshBucket, s3Client } from './helpers/s3.ts';
import { startS3Recorder, type S3Recorder } from './helpers/s3-recorder.ts';
import { chunksOf, openS3Store } from './helpers/s3-store.ts';

// Issue 25: a file of a part or more is judged on its first bytes, then streamed into the bucket
// as a multipart upload and completed inside the media.created event's durable step.
const PART = 5 * 1024 * 1024;
const rgw = inject('rgw');
const client = s3Client(rgw);
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
let dir: string;
let bucket: string;
let recorder: S3Recorder;
let store: S3Store;
let inspector: ContentInspector;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 's3-stream-publish-'));
  bucket = await freshBucket(rgw);
  recorder = await startS3Recorder(rgw.endpoint);
  store = await openS3Store(rgw, bucket, { endpoint: recorder.url, prefix: 'media', partSize: PART, queueSize: 2 });
  inspector = ContentInspector.create(1);
}, 60_000);
afterAll(async () => {
  await store.close();
  await inspector.close();
  await recorder.close();
  await rm(dir, { recursive: true, force: true });
  client.destroy();
});

/** Records each media.created intent and whether the commit ran inside it. */
function recordingEvents(): EventHook & { intents: CreatedIntent[] } {
  const intents: CreatedIntent[] = [];
  return {
    intents,
    created: async (file, _origin, commit) => (intents.push(file), commit()),
    deleted: async (_file, _origin, remove) => remove(),
  };
}

describe('StreamPublish on the S3 store (real Ceph RGW)', () => {
  it('refuses a file whose first bytes are not its format without sending anything to the bucket', async () => {
    const publish = new StreamPublish(store, inspector, { verifyContent: true });
    recorder.reset();
    await expect(publish.publish(chunksOf(randomBytes(3 * PART)), { directory: 'big', filename: 'noise.wav' })).rejects.toMatchObject({
      codeName: 'FORMAT_NOT_SUPPORTED',
    });
    expect(recorder.traffic.multipartSends).toBe(0);
    await expect(client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'media/big/noise.wav' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('streams a WAV of several parts into the bucket within its media.created step; another host finds its sha256 and attributes', async () => {
    const file = path.join(dir, 'long.wav');
    await sox('-n', '-r', '44100', '-b', '16', '-c', '2', file, 'synth', '70', 'sine', '440');
    const bytes = await readFile(file);
    expect(bytes.length).toBeGreaterThan(2 * PART);
    const events = recordingEvents();
    const publish = new StreamPublish(store, inspector, { verifyContent: true }, events);
    recorder.reset();
    const stored = await publish.publish(chunksOf(bytes), { directory: 'big', filename: 'long.wav' }, { via: 'multipart', keyId: null });
    expect(stored).toMatchObject({ size: bytes.length, sha256: sha256(bytes), contentType: 'audio/wav', metadata: null });
    expect(events.intents).toEqual([
      { directory: 'big', filename: 'long.wav', size: bytes.length, contentType: 'audio/wav', metadata: null },
    ]);
    // CreateMultipartUpload and one UploadPart per part: the bytes went as parts, not one PUT.
    expect(recorder.traffic.multipartSends).toBe(1 + Math.ceil(bytes.length / PART));
    expect((await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).toEqual([]);

    const otherHost = await openS3Store(rgw, bucket, { prefix: 'media' });
    try {
      expect(await otherHost.head({ directory: 'big', name: 'long.wav' })).toMatchObject({
        size: bytes.length,
        sha256: sha256(bytes),
        attributes: { contentType: 'audio/wav', metadata: null },
      });
      const page = await otherHost.list('big', { limit: 10 });
      expect(page?.objects.map((object) => [object.key.name, object.sha256])).toEqual([['long.wav', sha256(bytes)]]);
    } finally {
      await otherHost.close();
    }
  });

  it('answers FILE_EXISTS for a name that is taken before sending any part, and keeps the file', async () => {
    const publish = new StreamPublish(store, inspector, { verifyContent: true });
    const bytes = await readFile(path.join(dir, 'long.wav'));
    recorder.reset();
    await expect(publish.publish(chunksOf(bytes), { directory: 'big', filename: 'long.wav' })).rejects.toMatchObject({
      codeName: 'FILE_EXISTS',
    });
    expect(recorder.traffic.multipartSends).toBe(0);
    expect((await store.head({ directory: 'big', name: 'long.wav' }))?.sha256).toBe(sha256(bytes));
    expect((await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).toEqual([]);
  });
});
