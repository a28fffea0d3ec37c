import {
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { S3Store } from '../../src/storage/s3/s3-store.ts';
import { RedisLocker } from '../../src/lockers/redis-locker.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import { freshBucket, s3Client } from '../helpers/s3.ts';
import { chunksOf, openS3Store } from '../helpers/s3-store.ts';

const MiB = 1024 * 1024;
/** The smallest part S3 allows: a few parts make a small test. */
const PART = 5 * MiB;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const key = (directory: string, name: string) => ({ directory, name });
const wav = { contentType: 'audio/wav', metadata: { title: 'Long – 長い' } };

/** The first `stopAt` bytes, then the client goes away. */
async function* brokenAt(bytes: Buffer, stopAt: number): AsyncGenerator<Buffer> {
  for await (const chunk of chunksOf(bytes.subarray(0, stopAt))) yield chunk;
  throw new Error('client went away');
}

describe('S3Store streams large uploads into the bucket as multipart uploads (real Ceph RGW)', () => {
  const rgw = inject('rgw');
  const client = s3Client(rgw);
  let bucket: string;
  let store: S3Store;
  let stagingDir: string;

  beforeAll(async () => {
    bucket = await freshBucket(rgw);
    stagingDir = await fs.mkdtemp(path.join(os.tmpdir(), 's3-stream-staging-'));
    store = await openS3Store(rgw, bucket, { prefix: 'media', partSize: PART, queueSize: 2, stagingDir });
  });
  afterAll(async () => {
    await store.close();
    await fs.rm(stagingDir, { recursive: true, force: true });
    client.destroy();
  });

  const pendingUploads = async () => (await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];
  const objectBytes = async (Key: string) =>
    Buffer.from(await (await client.send(new GetObjectCommand({ Bucket: bucket, Key }))).Body!.transformToByteArray());

  it('stores a file of several parts whole, its sha256 and attributes found by another host, nothing staged on this one', async () => {
    const bytes = randomBytes(4 * PART + 17);
    const stored = await store.commitStream(chunksOf(bytes), key('long', 'a.wav'), wav);
    expect(stored).toMatchObject({ size: bytes.length, sha256: sha256(bytes), attributes: wav });

    expect((await objectBytes('media/long/a.wav')).equals(bytes)).toBe(true);
    const raw = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'media/long/a.wav' }));
    expect(raw.ContentType).toBe('audio/wav');
    expect(await fs.readdir(stagingDir)).toEqual([]);
    expect(await pendingUploads()).toEqual([]);

    const otherHost = await openS3Store(rgw, bucket, { prefix: 'media' });
    try {
      expect(await otherHost.head(key('long', 'a.wav'))).toMatchObject({ size: bytes.length, sha256: sha256(bytes), attributes: wav });
      const page = await otherHost.list('long', { limit: 10 });
      expect(page?.objects.map((object) => [object.key.name, object.sha256])).toEqual([['a.wav', sha256(bytes)]]);
    } finally {
      await otherHost.close();
    }
  });

  it('stores a file that ends exactly on a part boundary', async () => {
    const bytes = randomBytes(2 * PART);
    const stored = await store.commitStream(chunksOf(bytes), key('long', 'even.wav'), wav);
    expect(stored.sha256).toBe(sha256(bytes));
    expect((await objectBytes('media/long/even.wav')).equals(bytes)).toBe(true);
  });

  it('leaves no visible object and no pending multipart upload when the upload is aborted at 50%', async () => {
    const bytes = randomBytes(4 * PART);
    const metadataObjects = async () =>
      (await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'media/.multipart/' }))).KeyCount ?? 0;
    const before = await metadataObjects();
    await expect(store.commitStream(brokenAt(bytes, bytes.length / 2), key('long', 'half.wav'), wav)).rejects.toThrow();
    await expect(client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'media/long/half.wav' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
    expect(await pendingUploads()).toEqual([]);
    expect(await metadataObjects()).toBe(before);
  });

  it('refuses a name that is taken with FILE_EXISTS, keeps the object and drops the parts', async () => {
    const first = Buffer.from('RIFF the first writer');
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'media/long/taken.wav', Body: first }));
    await expect(store.commitStream(chunksOf(randomBytes(PART + 1)), key('long', 'taken.wav'), wav)).rejects.toMatchObject({
      codeName: 'FILE_EXISTS',
    });
    expect((await objectBytes('media/long/taken.wav')).equals(first)).toBe(true);
    expect(await pendingUploads()).toEqual([]);
  });
});

describe('multipart uploads of one name through two hosts sharing Redis (real Ceph RGW, real Redis)', () => {
  const rgw = inject('rgw');
  const client = s3Client(rgw);
  let redis: RedisServer;
  const connections: Redis[] = [];
  const stores: S3Store[] = [];
  let bucket: string;

  beforeAll(async () => {
    redis = await startRedis();
    bucket = await freshBucket(rgw);
    for (let host = 0; host < 2; host += 1) {
      const connection = new Redis(redis.url);
      connections.push(connection);
      const locker = new RedisLocker(connection, 30_000);
      stores.push(await openS3Store(rgw, bucket, { prefix: 'media', partSize: PART, queueSize: 2, locker }));
    }
  });
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    for (const connection of connections) connection.disconnect();
    await redis.stop();
    client.destroy();
  });

  it('lets exactly one of 20 concurrent uploads win, and the object is wholly its bytes', async () => {
    const bodies = Array.from({ length: 20 }, () => randomBytes(PART + 4096));
    const outcomes = await Promise.allSettled(
      bodies.map((bytes, index) => stores[index % 2]!.commitStream(chunksOf(bytes), key('race', 'one.wav'), wav)),
    );
    const winners = outcomes.flatMap((outcome, index) => (outcome.status === 'fulfilled' ? [index] : []));
    expect(winners).toHaveLength(1);
    for (const outcome of outcomes) if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ codeName: 'FILE_EXISTS' });
    const stored = Buffer.from(
      await (await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'media/race/one.wav' }))).Body!.transformToByteArray(),
    );
    expect(stored.equals(bodies[winners[0]!]!)).toBe(true);
    expect((await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).toEqual([]);
  });
});
