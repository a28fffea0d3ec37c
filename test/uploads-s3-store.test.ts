import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { DeleteBucketPolicyCommand, PutBucketPolicyCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@tus/utils';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AppError } from '../src/errors.ts';
import type { S3Store } from '../src/storage/s3/s3-store.ts';
import { BucketUploadObjects } from '../src/uploads/s3/bucket-upload-objects.ts';
import { BucketUploadStore } from '../src/uploads/s3/bucket-upload-store.ts';
import { tusRequest } from '../src/uploads/tus/request-context.ts';
import { startService, type RunningService } from './helpers/app.ts';
import { sha256 } from './helpers/media.ts';
import { freshBucket, s3Client } from './helpers/s3.ts';
import { s3Backend } from './helpers/s3-service.ts';
import { chunksOf, openS3Store } from './helpers/s3-store.ts';
import { largeMp3, TUS_HEADERS, uploadMetadata } from './helpers/tus.ts';
import { resumableKeys } from './helpers/tus-s3.ts';

const PIECE = 64 * 1024;

// BucketUploadStore on the run's Ceph RADOS Gateway with small pieces, so one chunk spans several.
describe('the bucket store of resumable uploads', () => {
  const rgw = inject('rgw');
  const client = s3Client(rgw);
  let bucket: string;
  let store: BucketUploadStore;
  let byteStore: S3Store;

  beforeAll(async () => {
    bucket = await freshBucket(rgw);
    store = new BucketUploadStore(new BucketUploadObjects(client, bucket, '', 5000), { expireAfterMs: 60_000, pieceBytes: PIECE });
    byteStore = await openS3Store(rgw, bucket);
  });
  afterAll(async () => {
    await byteStore?.close();
    client.destroy();
  });

  const write = (id: string, offset: number, source: Readable, checksum?: Buffer) =>
    tusRequest.run({ checksum: checksum && { algorithm: 'sha256', digest: checksumOf(checksum) } }, () => store.write(source, id, offset));

  it('keeps a chunk in pieces, drops the pieces of a chunk that did not count, and gives the bytes back in order', async () => {
    const bytes = randomBytes(500_000);
    const id = randomBytes(16).toString('hex');
    await store.create(new Upload({ id, size: bytes.length, offset: 0, metadata: { directory: 'a', filename: 'b.mp3' } }));
    const first = bytes.subarray(0, 200_000);
    expect(await write(id, 0, Readable.from(chunksOf(first)), first)).toBe(200_000);
    const counted = await resumableKeys(rgw, bucket);
    // The record and four pieces: three of 64 KiB and the rest.
    expect(counted).toHaveLength(5);

    const rest = bytes.subarray(200_000);
    const corrupted = Buffer.from(rest);
    corrupted[250_000] = corrupted[250_000]! ^ 1;
    const refused = await write(id, 200_000, Readable.from(chunksOf(corrupted)), rest).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe(460);
    expect((await store.getUpload(id)).offset).toBe(200_000);
    expect(await resumableKeys(rgw, bucket)).toEqual(counted);

    async function* cut(): AsyncGenerator<Buffer> {
      yield* chunksOf(rest.subarray(0, 3 * PIECE));
      throw new Error('connection reset');
    }
    await expect(write(id, 200_000, Readable.from(cut()), rest)).rejects.toThrow('connection reset');
    expect((await store.getUpload(id)).offset).toBe(200_000);
    expect(await resumableKeys(rgw, bucket)).toEqual(counted);

    expect(await write(id, 200_000, Readable.from(chunksOf(rest)), rest)).toBe(bytes.length);
    const upload = await store.getUpload(id);
    const staged = await store.stageComplete(byteStore, upload);
    expect(staged.size).toBe(bytes.length);
    const source = byteStore.source(staged);
    const stagedBytes = 'bytes' in source ? source.bytes : await readFile(source.file);
    expect(sha256(stagedBytes)).toBe(sha256(bytes));
    await byteStore.discard(staged);

    await store.forget(id);
    expect(await resumableKeys(rgw, bucket)).toEqual([]);
    await expect(store.getUpload(id)).rejects.toMatchObject({ status_code: 404 });
  });

  it('answers 409 to a write at another offset than the record says', async () => {
    const id = randomBytes(16).toString('hex');
    await store.create(new Upload({ id, size: 1000, offset: 0, metadata: {} }));
    await expect(write(id, 10, Readable.from([Buffer.alloc(10)]))).rejects.toMatchObject({ status_code: 409 });
    await store.forget(id);
  });
});

describe('expiry of resumable uploads in the bucket', () => {
  const rgw = inject('rgw');
  let bucket: string;
  let service: RunningService;
  const EXPIRE_MS = 1000;
  const SWEEP_MS = 5000;
  /** When the service's sweep timer was started: between these two instants; it fires every SWEEP_MS from then. */
  let sweepsFrom: { earliest: number; latest: number };

  beforeAll(async () => {
    bucket = await freshBucket(rgw);
    const earliest = Date.now();
    service = await startService({ ...s3Backend(rgw, bucket), uploads: { expireAfterMs: EXPIRE_MS, sweepIntervalMs: SWEEP_MS } });
    sweepsFrom = { earliest, latest: Date.now() };
  });
  afterAll(() => service?.close());

  /**
   * Waits until just after a sweep, so that an upload made now expires well before the next one:
   * HEAD then sees 410 between its expiry and that sweep, and 404 after it.
   */
  async function justAfterASweep(): Promise<void> {
    const ticks = Math.ceil((Date.now() - sweepsFrom.earliest) / SWEEP_MS);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, sweepsFrom.latest + ticks * SWEEP_MS + 50 - Date.now())));
  }

  it('answers 410, then removes the upload and objects left without a record, and counts it', async () => {
    const bytes = largeMp3(100_000);
    await justAfterASweep();
    const created = await fetch(`${service.url}/uploads`, {
      method: 'POST',
      headers: { ...TUS_HEADERS, 'Upload-Length': String(bytes.length), 'Upload-Metadata': uploadMetadata('exp', 'late.mp3') },
    });
    const location = created.headers.get('location')!;
    const patched = await fetch(`${service.url}${location}`, {
      method: 'PATCH',
      headers: { ...TUS_HEADERS, 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': '0' },
      body: new Uint8Array(bytes.subarray(0, 50_000)),
    });
    expect(patched.status).toBe(204);
    // A piece whose record is gone: what a host that died while removing an upload leaves.
    const client = s3Client(rgw);
    const orphan = `.resumable/${randomBytes(16).toString('hex')}/piece-0000000000000-00000000`;
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: orphan, Body: 'left over' }));
    client.destroy();
    expect(await resumableKeys(rgw, bucket)).toHaveLength(3);

    const head = () => fetch(`${service.url}${location}`, { method: 'HEAD', headers: TUS_HEADERS });
    const statuses = new Set<number>();
    // Bounded: expiry after 1 s, a sweep every 5 s.
    for (let i = 0; i < 150 && !(statuses.has(404) && (await resumableKeys(rgw, bucket)).length === 0); i++) {
      statuses.add((await head()).status);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(statuses).toContain(410);
    expect(statuses).toContain(404);
    expect(await resumableKeys(rgw, bucket)).toEqual([]);
    const text = await (await fetch(`${service.url}/metrics`)).text();
    expect(text).toMatch(/^media_resumable_uploads_expired_total [2-9]/m);
  });

  it('warns at start that without redis.url uploads are locked per host', () => {
    expect(service.logs).toContainEqual(expect.objectContaining({ level: 40, msg: expect.stringContaining('need redis.url') }));
  });
});

describe('a bucket that refuses the publish for a while', () => {
  const rgw = inject('rgw');
  let bucket: string;
  let service: RunningService;

  beforeAll(async () => {
    bucket = await freshBucket(rgw);
    service = await startService(s3Backend(rgw, bucket));
  });
  afterAll(() => service?.close());

  it('keeps the upload less its last piece (503, code 505), so the retry of that piece completes it', async () => {
    const client = s3Client(rgw);
    // The gateway refuses every PUT below held/ (403, a failure of the bucket: code 505) until the policy goes.
    const deny = { Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: `arn:aws:s3:::${bucket}/held/*` };
    await client.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify({ Version: '2012-10-17', Statement: [deny] }) }));
    const bytes = largeMp3(300_000);
    const created = await fetch(`${service.url}/uploads`, {
      method: 'POST',
      headers: { ...TUS_HEADERS, 'Upload-Length': String(bytes.length), 'Upload-Metadata': uploadMetadata('held', 'late.mp3') },
    });
    const location = created.headers.get('location')!;
    const patch = (offset: number) =>
      fetch(`${service.url}${location}`, {
        method: 'PATCH',
        headers: { ...TUS_HEADERS, 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': String(offset) },
        body: new Uint8Array(bytes.subarray(offset, offset === 0 ? 100_000 : bytes.length)),
      });
    expect((await patch(0)).status).toBe(204);
    const failed = await patch(100_000);
    expect(failed.status).toBe(503);
    expect(await failed.json()).toMatchObject({ code: 505, files: [{ filename: 'late.mp3', code: 505 }] });
    expect(failed.headers.get('upload-offset')).toBe('100000');
    const head = await fetch(`${service.url}${location}`, { method: 'HEAD', headers: TUS_HEADERS });
    expect(head.headers.get('upload-offset')).toBe('100000');

    await client.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    client.destroy();
    const retried = await patch(100_000);
    expect(retried.status).toBe(200);
    expect(await retried.json()).toMatchObject({ code: 200, files: [{ filename: 'late.mp3', sha256: sha256(bytes) }] });
    const stored = Buffer.from(await (await fetch(`${service.url}/media/held/late.mp3`)).arrayBuffer());
    expect(stored.equals(bytes)).toBe(true);
    // The pieces are gone; the record keeps the answer until expiry.
    expect(await resumableKeys(rgw, bucket)).toEqual([`.resumable/${location.split('/').at(-1)}/info.json`]);
  });
});

function checksumOf(bytes: Buffer): string {
  return Buffer.from(sha256(bytes), 'hex').toString('base64');
}
