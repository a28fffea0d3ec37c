import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  DeleteBucketPolicyCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutBucketPolicyCommand,
} from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { Upload } from '@tus/utils';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BucketUploadObjects } from '../src/uploads/s3/bucket-upload-objects.ts';
import { BucketUploadStore } from '../src/uploads/s3/bucket-upload-store.ts';
import { tempRoot, type RunningService } from './helpers/app.ts';
import { exitOf, startServiceProcess } from './helpers/process.ts';
import { sha256 } from './helpers/media.ts';
import { freshBucket, s3Client } from './helpers/s3.ts';
import { s3Env } from './helpers/s3-service.ts';
import { checksumHeader, createUpload, headUpload, largeMp3, patchUpload, TUS_HEADERS } from './helpers/tus.ts';
import { resumableKeys } from './helpers/tus-s3.ts';
import { startBucketHosts } from './helpers/bucket-hosts.ts';
import { chunksOf, openS3Store } from './helpers/s3-store.ts';

const MiB = 1024 ** 2;
/** A little over S3's smallest part (5 MiB), so that a few MiB make several parts and a chunk's tail may go as a part of its own. */
const PART = 6 * MiB;

// Resumable uploads of a part or more on the S3 backend: each chunk becomes parts of one
// multipart upload at the file's own key, completed there. Two services share one bucket of the
// run's Ceph RADOS Gateway as two hosts; each request goes to whichever the test picks.
describe('resumable uploads sent in place on S3', () => {
  const rgw = inject('rgw');
  const client = s3Client(rgw);
  let bucket: string;
  let hosts: RunningService[] = [];

  beforeAll(async () => {
    ({ bucket, hosts } = await startBucketHosts(rgw, { partSize: PART }));
  });
  afterAll(async () => {
    await Promise.all(hosts.map((host) => host.close()));
    client.destroy();
  });

  const url = (i: number) => hosts[i % 2]!.url;
  const pendingMultipart = async () => (await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];
  const offsetOn = async (i: number, location: string) => (await headUpload(url(i), location)).headers.get('upload-offset');

  it('completes an upload whose chunks went to both hosts, a small one and a mismatched one among them, at its own key', async () => {
    const bytes = Buffer.concat([largeMp3(14 * MiB), randomBytes(1000)]);
    const location = (await createUpload(url(0), 'inplace', 'song.mp3', bytes.length)).headers.get('location')!;
    const at = (start: number, end = bytes.length) => bytes.subarray(start, end);

    // A part and a tail under S3's smallest part, which waits; then a chunk under it, whose bytes join the tail.
    expect((await patchUpload(url(0), location, 0, at(0, 6.5 * MiB))).status).toBe(204);
    expect((await patchUpload(url(1), location, 6.5 * MiB, at(6.5 * MiB, 7.5 * MiB))).status).toBe(204);
    expect(await pendingMultipart()).toHaveLength(1);
    expect(await resumableKeys(rgw, bucket)).toContainEqual(expect.stringMatching(/\/incomplete-0000006291456-[0-9a-f]{8}$/));

    // The tail and this chunk come to less than a part, but to S3's smallest: they go as a part of their own.
    const chunk = at(7.5 * MiB, 11.5 * MiB);
    const corrupted = Buffer.from(chunk);
    corrupted[3 * MiB] = corrupted[3 * MiB]! ^ 1;
    const refused = await patchUpload(url(0), location, 7.5 * MiB, corrupted, { 'Upload-Checksum': checksumHeader('sha256', chunk) });
    expect(refused.status).toBe(460);
    expect(await offsetOn(1, location)).toBe(String(7.5 * MiB));
    const checksum = { 'Upload-Checksum': checksumHeader('sha1', chunk) };
    expect((await patchUpload(url(0), location, 7.5 * MiB, chunk, checksum)).status).toBe(204);
    expect((await resumableKeys(rgw, bucket)).filter((key) => key.includes('/incomplete-'))).toEqual([]);

    const last = await patchUpload(url(1), location, 11.5 * MiB, at(11.5 * MiB));
    expect(last.status).toBe(200);
    const answer = (await last.json()) as { code: number; files: Array<Record<string, unknown>> };
    expect(answer).toMatchObject({ code: 200, files: [{ directory: 'inplace', filename: 'song.mp3', size: bytes.length }] });
    expect(answer.files[0]).toMatchObject({ sha256: sha256(bytes), contentType: 'audio/mpeg', metadata: null });

    // The object itself, read with the SDK: the bytes, made of three parts (a multipart ETag), its sha256 where readers find it.
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'inplace/song.mp3' }));
    expect(Buffer.from(await object.Body!.transformToByteArray()).equals(bytes)).toBe(true);
    expect(object.ETag).toMatch(/-3"?$/);
    const upload = (await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'inplace/song.mp3' }))).Metadata?.upload;
    const written = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `.multipart/${upload}.json` }));
    expect(JSON.parse(await written.Body!.transformToString())).toMatchObject({ sha256: sha256(bytes) });
    const download = await fetch(`${url(0)}/media/inplace/song.mp3`, { method: 'HEAD' });
    expect(download.headers.get('etag')).toContain(sha256(bytes));

    expect(await pendingMultipart()).toEqual([]);
    // Only the record is left, with the answer, until expiry.
    expect(await resumableKeys(rgw, bucket)).toEqual([`.resumable/${location.split('/').at(-1)}/info.json`]);
    expect(await offsetOn(0, location)).toBe(String(bytes.length));
  });

  it('aborts the multipart upload of an unfinished upload on DELETE and leaves nothing', async () => {
    const bytes = largeMp3(8 * MiB);
    const location = (await createUpload(url(1), 'inplace', 'dropped.mp3', bytes.length)).headers.get('location')!;
    expect((await patchUpload(url(1), location, 0, bytes.subarray(0, 6 * MiB))).status).toBe(204);
    expect(await pendingMultipart()).toHaveLength(1);
    expect((await fetch(`${url(0)}${location}`, { method: 'DELETE', headers: TUS_HEADERS })).status).toBe(204);
    expect(await pendingMultipart()).toEqual([]);
    expect(await resumableKeys(rgw, bucket)).not.toContainEqual(expect.stringContaining(location.split('/').at(-1)!));
  });

  it('judges the start before the first part, and refuses content that is not audio without sending a part (415, code 504)', async () => {
    const noise = randomBytes(6 * MiB);
    const location = (await createUpload(url(0), 'inplace', 'noise.mp3', noise.length)).headers.get('location')!;
    // Under the first bytes judged on the way: the chunk waits in the bucket, and the next one completes the first part.
    expect((await patchUpload(url(0), location, 0, noise.subarray(0, 30_000))).status).toBe(204);
    const answer = await patchUpload(url(1), location, 30_000, noise.subarray(30_000));
    expect(answer.status).toBe(415);
    expect(await answer.json()).toMatchObject({ code: 504 });
    expect(await pendingMultipart()).toEqual([]);
    expect(await resumableKeys(rgw, bucket)).not.toContainEqual(expect.stringContaining(location.split('/').at(-1)!));
    expect((await fetch(`${url(1)}/media/inplace/noise.mp3`, { method: 'HEAD' })).status).toBe(404);
  });

  it('keeps the parts of an upload whose completion failed for a passing reason (503, code 505), and completes it on the next request', async () => {
    const bytes = largeMp3(6 * MiB);
    const location = (await createUpload(url(0), 'inplace', 'held.mp3', bytes.length)).headers.get('location')!;
    // The gateway refuses the metadata object the completion writes first (403: a failure of the bucket) until the policy goes.
    const deny = { Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: `arn:aws:s3:::${bucket}/.multipart/*` };
    await client.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify({ Version: '2012-10-17', Statement: [deny] }) }));
    const failed = await patchUpload(url(0), location, 0, bytes);
    expect(failed.status).toBe(503);
    expect(await failed.json()).toMatchObject({ code: 505 });
    expect(await pendingMultipart()).toHaveLength(1);

    await client.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    expect(await offsetOn(1, location)).toBe(String(bytes.length));
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'inplace/held.mp3' }));
    expect(Buffer.from(await object.Body!.transformToByteArray()).equals(bytes)).toBe(true);
    expect(await pendingMultipart()).toEqual([]);
  });
});

// The completion of an upload sent in place, interrupted by a crash of its service (src/fault-points.ts).
describe('a crash during the completion of an upload sent in place', () => {
  const rgw = inject('rgw');
  const roots: string[] = [];
  afterAll(() => Promise.all(roots.map((root) => rm(root, { recursive: true, force: true }))));

  // "committed" is the crash check that takes the digest from the hash state (no bytes are left to
  // read); the other steps are the completion run again, as uploads-crash-completion.test.ts checks.
  it.each(['committed'])(
    'killed at "%s": after the restart the next request completes it, from its recorded sha256',
    async (step) => {
      const root = await tempRoot();
      roots.push(root);
      const configFile = path.join(root, 'config.json');
      await writeFile(configFile, JSON.stringify({ storage: { s3: { partSize: PART } } }));
      const bucket = await freshBucket(rgw);
      const env = { ...s3Env(rgw, bucket), UPLOAD_DIR: path.join(root, step), CONFIG_FILE: configFile };
      const bytes = largeMp3(6 * MiB);
      const crashing = await startServiceProcess({ ...env, MEDIA_FAULT_POINT: step });
      const location = (await createUpload(crashing.url, 'crash', `${step}.mp3`, bytes.length)).headers.get('location')!;
      await patchUpload(crashing.url, location, 0, bytes).catch(() => undefined);
      await exitOf(crashing.child);
      expect(crashing.child.signalCode).toBe('SIGKILL');

      const restarted = await startServiceProcess(env);
      try {
        expect((await headUpload(restarted.url, location)).headers.get('upload-offset')).toBe(String(bytes.length));
        const repeated = await patchUpload(restarted.url, location, bytes.length, Buffer.alloc(0));
        expect(await repeated.json()).toMatchObject({ code: 200, files: [{ filename: `${step}.mp3`, sha256: sha256(bytes) }] });
        const client = s3Client(rgw);
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `crash/${step}.mp3` }));
        expect(Buffer.from(await object.Body!.transformToByteArray()).equals(bytes)).toBe(true);
        expect((await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).toEqual([]);
        client.destroy();
      } finally {
        await restarted.stop();
      }
    },
    60_000,
  );
});

describe('expiry of an upload sent in place', () => {
  const rgw = inject('rgw');

  it('aborts its multipart upload when the sweep removes it, with its record and its tail', async () => {
    const client = s3Client(rgw);
    const bucket = await freshBucket(rgw);
    const byteStore = await openS3Store(rgw, bucket, { partSize: PART });
    const objects = new BucketUploadObjects(client, bucket, '', 5000);
    const store = new BucketUploadStore(objects, { expireAfterMs: 1000, parted: byteStore.parted });
    try {
      const id = randomBytes(16).toString('hex');
      const bytes = largeMp3(8 * MiB);
      await store.create(new Upload({ id, size: bytes.length, offset: 0, metadata: { directory: 'a', filename: 'b.mp3' } }));
      expect(await store.write(Readable.from(chunksOf(bytes.subarray(0, 7 * MiB))), id, 0)).toBe(7 * MiB);
      const pending = async () => (await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];
      expect(await pending()).toHaveLength(1);
      expect(await resumableKeys(rgw, bucket)).toHaveLength(2);

      expect(await store.removeIfExpired(id, Date.now() + 1)).toBe(true);
      expect(await pending()).toEqual([]);
      expect(await resumableKeys(rgw, bucket)).toEqual([]);
    } finally {
      await byteStore.close();
      client.destroy();
    }
  });
});
