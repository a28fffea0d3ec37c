import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tempRoot } from './helpers/app.ts';
import { sha256, uniqueMp3 } from './helpers/media.ts';
import { startServiceProcess, type ServiceProcess } from './helpers/process.ts';
import { startRedis, type RedisServer } from './helpers/redis.ts';
import { freshBucket } from './helpers/s3.ts';
import { s3Env } from './helpers/s3-service.ts';
import {
  checksumHeader,
  createUpload,
  headUpload,
  largeMp3,
  patchUpload,
  resumableLeftovers,
  TUS_HEADERS,
  tusUpload,
  uploadMetadata,
} from './helpers/tus.ts';
import { bucketKeys, pendingMultipartUploads, resumableKeys } from './helpers/tus-s3.ts';
import { upload } from './helpers/upload.ts';

const PREFIX = 'svc/';
const MiB = 1024 ** 2;
const PART = 5 * MiB;

// Two service processes as two hosts behind a load balancer: each its own local root, the same
// bucket on the run's Ceph RADOS Gateway, one Redis for the upload locks. Each request of one
// upload goes to whichever host the test picks.
describe('resumable uploads on the S3 backend, served by two hosts', () => {
  const rgw = inject('rgw');
  let redis: RedisServer;
  let bucket: string;
  const roots: string[] = [];
  const hosts: ServiceProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    bucket = await freshBucket(rgw);
    for (const _ of [1, 2]) {
      const root = await tempRoot('tus-host-');
      roots.push(root);
      const configFile = path.join(root, 'host.json');
      // S3's smallest parts: an upload of a few MiB is sent in place, the smaller ones below keep their pieces.
      await writeFile(configFile, JSON.stringify({ redis: { url: redis.url }, storage: { s3: { prefix: PREFIX, partSize: PART } } }));
      hosts.push(await startServiceProcess({ ...s3Env(rgw, bucket), UPLOAD_DIR: path.join(root, 'media'), CONFIG_FILE: configFile }));
    }
  }, 60_000);
  afterAll(async () => {
    await Promise.all(hosts.map((host) => host.stop()));
    await redis?.stop();
    await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
  });

  const host = (i: number) => hosts[i % 2]!;

  const create = (on: ServiceProcess, directory: string, filename: string, length: number) =>
    createUpload(on.url, directory, filename, length);

  const patch = (on: ServiceProcess, location: string, offset: number, chunk: Buffer, checksum?: string) =>
    patchUpload(on.url, location, offset, chunk, checksum ? { 'Upload-Checksum': checksum } : {});

  const offsetOn = async (on: ServiceProcess, location: string) => (await headUpload(on.url, location)).headers.get('upload-offset');

  /** The records of completed uploads (they keep the answer until expiry). */
  const isRecord = (key: string) => key.startsWith(`${PREFIX}.resumable/`) && key.endsWith('/info.json');

  /** Nothing of any resumable upload's bytes is left: in the bucket only records, nothing on either host's disk. */
  async function expectNothingLeft(): Promise<void> {
    expect((await resumableKeys(rgw, bucket, PREFIX)).filter((key) => !isRecord(key))).toEqual([]);
    for (const root of roots) expect(await resumableLeftovers(path.join(root, 'media'))).toEqual([]);
  }

  /**
   * The bucket's keys but the records of resumable uploads and the analysis results of the files
   * stored by earlier tests (written in the background, whenever their analysis ends).
   */
  const keysButRecords = async () => (await bucketKeys(rgw, bucket)).filter((key) => !isRecord(key) && !key.includes('.analysis/'));

  it('takes PATCHes of one upload on alternating hosts, keeps the offset on a checksum mismatch, and answers as POST /media', async () => {
    const bytes = largeMp3(600_000);
    const created = await create(host(0), 'hosts', 'alternating.mp3', bytes.length);
    expect(created.status).toBe(201);
    const location = created.headers.get('location')!;
    // The upload lives in the bucket, under the store's prefix: the other host knows it at once.
    expect(await offsetOn(host(1), location)).toBe('0');

    const chunk = (i: number) => bytes.subarray(i * 150_000, i === 3 ? bytes.length : (i + 1) * 150_000);
    expect((await patch(host(1), location, 0, chunk(0), checksumHeader('sha1', chunk(0)))).status).toBe(204);
    const corrupted = Buffer.from(chunk(1));
    corrupted[10] = corrupted[10]! ^ 0xff;
    const refused = await patch(host(0), location, 150_000, corrupted, checksumHeader('sha256', chunk(1)));
    expect(refused.status).toBe(460);
    expect(await refused.json()).toMatchObject({ code: 460, reason: expect.stringContaining('checksum mismatch') });
    expect(await offsetOn(host(1), location)).toBe('150000');
    expect((await patch(host(1), location, 150_000, chunk(1), checksumHeader('sha256', chunk(1)))).status).toBe(204);
    expect((await patch(host(0), location, 300_000, chunk(2))).status).toBe(204);
    const last = await patch(host(1), location, 450_000, chunk(3), checksumHeader('sha1', chunk(3)));

    // The same JSON as POST /media gives for the same bytes (another name).
    const direct = await upload(host(0).url, 'multipart', { directory: 'hosts', filename: 'direct.mp3', bytes });
    expect(direct.status).toBe(200);
    expect(last.status).toBe(200);
    const answer = await last.json();
    expect(answer).toEqual({
      ...direct.body,
      files: [{ ...direct.body.files[0], filename: 'alternating.mp3' }],
    });
    expect(answer.files[0]).toMatchObject({ size: bytes.length, sha256: sha256(bytes), contentType: 'audio/mpeg' });

    const stored = Buffer.from(await (await fetch(`${host(0).url}/media/hosts/alternating.mp3`)).arrayBuffer());
    expect(sha256(stored)).toBe(sha256(bytes));
    // Its record answers HEAD with the full offset: a resuming client learns it is stored.
    expect(await offsetOn(host(0), location)).toBe(String(bytes.length));
    await expectNothingLeft();
  });

  it('lets tus-js-client resume on the other host after every chunk', async () => {
    const bytes = largeMp3(500_000);
    let uploadUrl: string | undefined;
    let answer: Awaited<ReturnType<typeof tusUpload>> | undefined;
    for (let session = 0; session < 5 && answer?.status !== 200; session++) {
      const on = host(session);
      answer = await tusUpload(on.url, bytes, {
        directory: 'hosts',
        filename: 'five.mp3',
        chunkSize: Math.ceil(bytes.length / 5),
        uploadUrl: uploadUrl && `${on.url}${new URL(uploadUrl).pathname}`,
        stopAfterChunk: () => true,
      });
      uploadUrl = answer.uploadUrl;
    }
    expect(answer?.status).toBe(200);
    expect(answer?.body).toMatchObject({ code: 200, files: [{ filename: 'five.mp3', sha256: sha256(bytes), size: bytes.length }] });
    await expectNothingLeft();
  });

  it('completes in place an upload of several parts that tus-js-client sent in chunks under a part to both hosts in turn', async () => {
    const bytes = largeMp3(12 * MiB);
    let uploadUrl: string | undefined;
    let answer: Awaited<ReturnType<typeof tusUpload>> | undefined;
    // 4 MiB chunks, as the library page sends them: most end in a tail that the other host fetches and completes.
    for (let session = 0; session < 4 && answer?.status !== 200; session++) {
      const on = host(session);
      answer = await tusUpload(on.url, bytes, {
        directory: 'hosts',
        filename: 'in-place.mp3',
        chunkSize: 4 * MiB,
        uploadUrl: uploadUrl && `${on.url}${new URL(uploadUrl).pathname}`,
        stopAfterChunk: () => true,
      });
      uploadUrl = answer.uploadUrl;
    }
    expect(answer?.status).toBe(200);
    expect(answer?.body).toMatchObject({ code: 200, files: [{ filename: 'in-place.mp3', sha256: sha256(bytes), metadata: null }] });
    const stored = Buffer.from(await (await fetch(`${host(1).url}/media/hosts/in-place.mp3`)).arrayBuffer());
    expect(stored.equals(bytes)).toBe(true);
    expect(await pendingMultipartUploads(rgw, bucket)).toEqual([]);
    await expectNothingLeft();
  });

  it('serialises one chunk sent to both hosts at once: one counts, the other is refused', async () => {
    const bytes = largeMp3(400_000);
    const location = (await create(host(0), 'hosts', 'both.mp3', bytes.length)).headers.get('location')!;
    const chunk = bytes.subarray(0, 300_000);
    const statuses = (await Promise.all(hosts.map((on) => patch(on, location, 0, chunk)))).map((answer) => answer.status).sort();
    expect(statuses[0]).toBe(204);
    expect([409, 423]).toContain(statuses[1]);
    expect(await offsetOn(host(1), location)).toBe(String(chunk.length));
    expect((await patch(host(1), location, chunk.length, bytes.subarray(chunk.length))).status).toBe(200);
    const stored = Buffer.from(await (await fetch(`${host(1).url}/media/hosts/both.mp3`)).arrayBuffer());
    expect(stored.equals(bytes)).toBe(true);
    await expectNothingLeft();
  });

  it('refuses content that is not audio at the last byte (415, code 504) and leaves nothing in the bucket', async () => {
    const before = await keysButRecords();
    const noise = Buffer.alloc(300_000, 7);
    const location = (await create(host(1), 'hosts', 'noise.mp3', noise.length)).headers.get('location')!;
    // A first chunk under the 64 KiB judged as they arrive (uploads-first-bytes.test.ts): judged whole at the end.
    expect((await patch(host(0), location, 0, noise.subarray(0, 50_000))).status).toBe(204);
    expect(await resumableKeys(rgw, bucket, PREFIX)).not.toEqual([]);
    const answer = await patch(host(1), location, 50_000, noise.subarray(50_000));
    expect(answer.status).toBe(415);
    expect(await answer.json()).toMatchObject({ code: 504, files: [{ directory: 'hosts', filename: 'noise.mp3', code: 504 }] });
    expect(await keysButRecords()).toEqual(before);
    await expectNothingLeft();
  });

  it('stores a file sent whole in the creation request (creation-with-upload)', async () => {
    const bytes = largeMp3(200_000);
    const answer = await fetch(`${host(1).url}/uploads`, {
      method: 'POST',
      headers: {
        ...TUS_HEADERS,
        'Upload-Length': String(bytes.length),
        'Upload-Metadata': uploadMetadata('hosts', 'at-once.mp3'),
        'Content-Type': 'application/offset+octet-stream',
        'Upload-Checksum': checksumHeader('sha256', bytes),
      },
      body: new Uint8Array(bytes),
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ code: 200, files: [{ filename: 'at-once.mp3', sha256: sha256(bytes) }] });
    await expectNothingLeft();
  });

  it('lets exactly one of a resumable upload on one host and POST /media on the other win a path', async () => {
    const resumable = uniqueMp3(`resumable ${randomUUID()}`);
    const multipart = uniqueMp3(`multipart ${randomUUID()}`);
    const location = (await create(host(0), 'race', 'same.mp3', resumable.length)).headers.get('location')!;
    expect((await patch(host(1), location, 0, resumable.subarray(0, 1000))).status).toBe(204);
    const [last, posted] = await Promise.all([
      patch(host(0), location, 1000, resumable.subarray(1000)),
      upload(host(1).url, 'multipart', { directory: 'race', filename: 'same.mp3', bytes: multipart }),
    ]);
    const lastBody = (await last.json()) as { code: number };
    expect([lastBody.code, (posted.body as { code: number }).code].sort()).toEqual([200, 501]);
    const stored = Buffer.from(await (await fetch(`${host(1).url}/media/race/same.mp3`)).arrayBuffer());
    expect(stored.equals(lastBody.code === 200 ? resumable : multipart)).toBe(true);
    await expectNothingLeft();
  });

  it('creates nothing in the bucket for a refused creation (the file exists: 422, code 501)', async () => {
    const bytes = uniqueMp3(`exists ${randomUUID()}`);
    expect((await upload(host(0).url, 'multipart', { directory: 'hosts', filename: 'taken.mp3', bytes })).status).toBe(200);
    // The analyses of files stored earlier in this file write their results whenever they end.
    const keysButAnalysis = async () => (await bucketKeys(rgw, bucket)).filter((key) => !key.includes('.analysis/'));
    const before = await keysButAnalysis();
    const answer = await create(host(1), 'hosts', 'taken.mp3', 1000);
    expect(answer.status).toBe(422);
    expect(await answer.json()).toMatchObject({ code: 501 });
    expect(await keysButAnalysis()).toEqual(before);
  });

  it('drops an upload on DELETE through the other host, with its objects', async () => {
    const bytes = largeMp3(200_000);
    const location = (await create(host(0), 'hosts', 'dropped.mp3', bytes.length)).headers.get('location')!;
    expect((await patch(host(0), location, 0, bytes.subarray(0, 50_000))).status).toBe(204);
    expect((await fetch(`${host(1).url}${location}`, { method: 'DELETE', headers: TUS_HEADERS })).status).toBe(204);
    expect((await headUpload(host(0).url, location)).status).toBe(404);
    await expectNothingLeft();
  });
});
