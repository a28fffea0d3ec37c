import { createHash } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tempRoot } from './helpers/app.ts';
import { startServiceProcess, type ServiceProcess } from './helpers/process.ts';
import { startRedis, type RedisServer } from './helpers/redis.ts';
import { freshBucket, s3Client } from './helpers/s3.ts';
import { s3Env } from './helpers/s3-service.ts';
import { createUpload, headUpload, largeMp3, openPatch } from './helpers/tus.ts';
import { resumableKeys } from './helpers/tus-s3.ts';

const MiB = 1024 ** 2;
/**
 * The issue asks for 1 GiB, which took about three times the suite's ~40 s budget for one test
 * beside the other files (test/bench/NOTES.md): 256 MiB by default, the same path (a kill inside a
 * streamed part, the rest through the other host); HOST_KILL_MIB=1024 runs the size (a
 * multiple of 32: two halves of whole 16 MiB PATCHes).
 */
const SIZE = Number(process.env.HOST_KILL_MIB ?? 256) * MiB;
/** As tus clients send them: a part each. */
const CHUNK = 16 * MiB;

/** The file's MiB number `i`, made on demand so the test never holds the file: MP3 frames, each MiB marked with its number. */
const BASE = largeMp3(MiB).subarray(0, MiB);
function block(i: number): Buffer {
  const bytes = Buffer.from(BASE);
  if (i > 0) bytes.writeUInt32BE(i, 0);
  return bytes;
}

function expectedSha256(): string {
  const hash = createHash('sha256');
  for (let i = 0; i < SIZE / MiB; i++) hash.update(block(i));
  return hash.digest('hex');
}

/** Starts a PATCH declaring `length` bytes at `offset` and writes the first `sent` of them (all by default), as the client can. */
function patch(on: ServiceProcess, location: string, offset: number, length: number, sent = length) {
  const request = openPatch(`${on.url}${location}`, { offset, length });
  const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request.once('error', reject);
    request.once('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (text: string) => (body += text));
      response.once('end', () => resolve({ status: response.statusCode!, body }));
    });
  });
  answered.catch(() => undefined);
  const written = (async () => {
    for (let at = offset; at < offset + sent; at += MiB) {
      if (!request.write(block(at / MiB))) await new Promise((resolve) => request.once('drain', resolve));
    }
    if (sent === length) request.end();
  })();
  return { request, written, answered };
}

// Two service processes as two hosts sharing the run's Ceph RADOS Gateway and one Redis: a
// resumable upload sent in place, its first host SIGKILLed inside a PATCH, finished through the other.
describe('a resumable upload on S3 whose host is killed mid-way', () => {
  const rgw = inject('rgw');
  const client = s3Client(rgw);
  let redis: RedisServer;
  let bucket: string;
  const roots: string[] = [];
  const hosts: ServiceProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    bucket = await freshBucket(rgw);
    for (const _ of [1, 2]) {
      const root = await tempRoot('tus-killed-');
      roots.push(root);
      const configFile = path.join(root, 'host.json');
      // No audio analysis: it would read the whole file back once stored, long after the test.
      const config = { redis: { url: redis.url }, media: { maxFileSize: 2 * SIZE }, analysis: { enabled: false } };
      await writeFile(configFile, JSON.stringify(config));
      hosts.push(await startServiceProcess({ ...s3Env(rgw, bucket), UPLOAD_DIR: path.join(root, 'media'), CONFIG_FILE: configFile }));
    }
  }, 60_000);
  afterAll(async () => {
    await Promise.all(hosts.map((host) => host.stop()));
    await redis?.stop();
    // The gateway keeps objects in RAM: this one goes before the run's other files need the room.
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'killed/big.mp3' })).catch(() => undefined);
    client.destroy();
    await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
  });

  it('finishes through the other host from the last part the killed one counted, with the right sha256', { timeout: 120_000 }, async () => {
    const [a, b] = hosts as [ServiceProcess, ServiceProcess];
    const location = (await createUpload(a.url, 'killed', 'big.mp3', SIZE)).headers.get('location')!;
    const half = SIZE / 2;
    for (let offset = 0; offset < half; offset += CHUNK) {
      const { answered } = patch(a, location, offset, CHUNK);
      expect((await answered).status).toBe(204);
    }
    // The next PATCH is inside its part when its host is killed.
    const cut = patch(a, location, half, CHUNK, CHUNK / 2);
    await cut.written;
    expect(await a.stop('SIGKILL')).toBe(null);
    expect(a.child.signalCode).toBe('SIGKILL');
    await expect(cut.answered).rejects.toThrow();

    const head = await headUpload(b.url, location);
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-offset')).toBe(String(half));
    let last: { status: number; body: string } | undefined;
    for (let offset = half; offset < SIZE; offset += CHUNK) {
      last = await patch(b, location, offset, CHUNK).answered;
      expect(last.status).toBe(offset + CHUNK === SIZE ? 200 : 204);
    }
    const sha256 = expectedSha256();
    expect(JSON.parse(last!.body)).toMatchObject({ code: 200, files: [{ directory: 'killed', filename: 'big.mp3', size: SIZE, sha256 }] });

    // The object itself, read back with the SDK.
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'killed/big.mp3' }));
    const hash = createHash('sha256');
    for await (const chunk of object.Body as Readable) hash.update(chunk as Buffer);
    expect(hash.digest('hex')).toBe(sha256);
    const listing = (await (await fetch(`${b.url}/media?directory=killed`)).json()) as { files: unknown[] };
    expect(listing.files).toEqual([expect.objectContaining({ filename: 'big.mp3', size: SIZE, sha256 })]);
    expect((await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).toEqual([]);
    // Only the upload's record is left, with its answer, until expiry.
    expect(await resumableKeys(rgw, bucket)).toEqual([`.resumable/${location.split('/').at(-1)}/info.json`]);
  });
});
