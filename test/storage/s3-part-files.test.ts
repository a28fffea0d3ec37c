import { GetObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { S3Store } from '../../src/storage/s3/s3-store.ts';
import { tempRoot } from '../helpers/app.ts';
import { bytesUnder, sha256 } from '../helpers/media.ts';
import { freshBucket, s3Client } from '../helpers/s3.ts';
import { chunksOf, openS3Store } from '../helpers/s3-store.ts';

const MiB = 1024 * 1024;
/** The smallest part S3 allows. */
const PART = 5 * MiB;
const QUEUE = 2;

/** The body's chunks, the staging directory's bytes noted before each one is handed over. */
async function* sampled(bytes: Buffer, dir: string, seen: number[]): AsyncGenerator<Buffer> {
  for await (const chunk of chunksOf(bytes)) {
    seen.push(await bytesUnder(dir));
    yield chunk;
  }
}

describe("S3Store's streamed parts wait on the host's disk, not in its memory (real Ceph RGW)", () => {
  const rgw = inject('rgw');
  const client = s3Client(rgw);
  const stores: S3Store[] = [];
  const roots: string[] = [];
  let bucket: string;
  const pendingUploads = async () => (await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];

  beforeAll(async () => {
    bucket = await freshBucket(rgw);
  });
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    for (const root of roots) {
      execFileSync('umount', ['-l', root], { stdio: 'ignore' });
      await fs.rm(root, { recursive: true, force: true });
    }
    client.destroy();
  });

  /** A staging directory on a tmpfs of its own of `size` (the tests run as root): its bytes are the store's alone. */
  async function stagingOnTmpfs(size: string): Promise<string> {
    const root = await tempRoot('s3-part-files-');
    roots.push(root);
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', root]);
    return path.join(root, '.incoming');
  }

  async function storeOn(stagingDir: string): Promise<S3Store> {
    const store = await openS3Store(rgw, bucket, { prefix: 'parts', partSize: PART, queueSize: QUEUE, stagingDir });
    stores.push(store);
    return store;
  }

  it('holds at most partSize x queueSize of an upload in the staging directory while it streams, and nothing after', async () => {
    const stagingDir = await stagingOnTmpfs('64m');
    const store = await storeOn(stagingDir);
    const bytes = randomBytes(6 * PART + 123);
    const seen: number[] = [];
    const stored = await store.commitStream(
      sampled(bytes, stagingDir, seen),
      { directory: 'disk', name: 'a.wav' },
      { contentType: 'audio/wav' },
    );
    expect(stored).toMatchObject({ size: bytes.length, sha256: sha256(bytes) });
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'parts/disk/a.wav' }));
    expect(sha256(Buffer.from(await object.Body!.transformToByteArray()))).toBe(sha256(bytes));
    // The parts went through the disk, never more of them than the queue holds.
    expect(Math.max(...seen)).toBeGreaterThan(0);
    expect(Math.max(...seen)).toBeLessThanOrEqual(PART * QUEUE);
    expect(await fs.readdir(stagingDir)).toEqual([]);
    expect(await pendingUploads()).toEqual([]);
  });

  it('answers INSUFFICIENT_STORAGE when a part does not fit on the disk, and leaves no part there or in the bucket', async () => {
    // Less room than one part takes.
    const stagingDir = await stagingOnTmpfs('3m');
    const store = await storeOn(stagingDir);
    const bytes = randomBytes(3 * PART);
    await expect(
      store.commitStream(chunksOf(bytes), { directory: 'disk', name: 'full.wav' }, { contentType: 'audio/wav' }),
    ).rejects.toMatchObject({
      codeName: 'INSUFFICIENT_STORAGE',
      message: expect.stringContaining('ENOSPC'),
    });
    expect(await fs.readdir(stagingDir)).toEqual([]);
    expect(await pendingUploads()).toEqual([]);
  });
});
