import { GetObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createStore } from '../../src/storage/create-store.ts';
import type { S3Store } from '../../src/storage/s3/s3-store.ts';
import { tempRoot, testConfig } from '../helpers/app.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import { freshBucket, s3Client } from '../helpers/s3.ts';
import { s3Backend } from '../helpers/s3-service.ts';
import { chunksOf } from '../helpers/s3-store.ts';

// Issue 25: with redis.url set, the stores of the service's hosts complete multipart uploads under
// the Redis locks resumable uploads use, so on Ceph RGW 16 (which ignores If-None-Match on
// CompleteMultipartUpload) one upload of a name still wins across hosts.
const PART = 5 * 1024 * 1024;
const rgw = inject('rgw');
const client = s3Client(rgw);
let redis: RedisServer;
let bucket: string;
const roots: string[] = [];
const hosts: S3Store[] = [];

beforeAll(async () => {
  redis = await startRedis();
  bucket = await freshBucket(rgw);
  for (let host = 0; host < 2; host += 1) {
    const root = await tempRoot();
    roots.push(root);
    const config = testConfig(root, {
      ...s3Backend(rgw, bucket, { prefix: 'media', partSize: PART, queueSize: 2 }),
      redis: { url: redis.url },
    });
    hosts.push((await createStore(config)) as S3Store);
  }
});
afterAll(async () => {
  await Promise.all(hosts.map((host) => host.close()));
  await redis.stop();
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
  client.destroy();
});

it('lets one of 16 concurrent multipart uploads of a name through two stores made from one config with redis.url win', async () => {
  const bodies = Array.from({ length: 16 }, () => randomBytes(PART + 1024));
  const outcomes = await Promise.allSettled(
    bodies.map((bytes, index) => hosts[index % 2]!.commitStream(chunksOf(bytes), { directory: 'race', name: 'locked.wav' }, {})),
  );
  const winners = outcomes.flatMap((outcome, index) => (outcome.status === 'fulfilled' ? [index] : []));
  expect(winners).toHaveLength(1);
  for (const outcome of outcomes) if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ codeName: 'FILE_EXISTS' });
  const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'media/race/locked.wav' }));
  expect(Buffer.from(await answer.Body!.transformToByteArray()).equals(bodies[winners[0]!]!)).toBe(true);
  expect((await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).toEqual([]);
});
