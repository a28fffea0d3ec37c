import { GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { sendForm } from './helpers/form-sender.ts';
import { fixture, multipartBody, sha256, uniqueMp3 } from './helpers/media.ts';
import { freshBucket, s3Client } from './helpers/s3.ts';
import { startS3Recorder, type S3Recorder } from './helpers/s3-recorder.ts';
import { s3Backend } from './helpers/s3-service.ts';
import { upload } from './helpers/upload.ts';
import { waitFor } from './helpers/wait.ts';

// Issue 25: on S3, POST /media streams a file part of a part or more into a multipart upload as it
// arrives, when its target is known as it starts; answers stay those of the staged path.
const PART = 5 * 1024 * 1024;
const QUEUE = 2;
const MAX_FILE_SIZE = 8 * PART;
const rgw = inject('rgw');
const client = s3Client(rgw);
let bucket: string;
let recorder: S3Recorder;
let service: RunningService;

beforeAll(async () => {
  bucket = await freshBucket(rgw);
  recorder = await startS3Recorder(rgw.endpoint);
  service = await startService({
    ...s3Backend(rgw, bucket, { endpoint: recorder.url, partSize: PART, queueSize: QUEUE }),
    media: { maxFileSize: MAX_FILE_SIZE },
  });
  // The start-up probe makes a multipart upload of its own: counting starts after it.
  await waitFor('the completion probe', () => service.logs.some((line) => line.msg.startsWith('no-replace of multipart uploads')));
}, 60_000);
afterAll(async () => {
  await service?.close();
  await recorder?.close();
  client.destroy();
});

/** A WAV header and `size - 44` bytes of 16-bit stereo noise. */
function noiseWav(size: number): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFFxxxxWAVEfmt ', 0, 'latin1');
  header.writeUInt32LE(size - 8, 4);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(2, 22);
  header.writeUInt32LE(44_100, 24);
  header.writeUInt32LE(44_100 * 4, 28);
  header.writeUInt16LE(4, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(size - 44, 40);
  return Buffer.concat([header, randomBytes(size - 44)]);
}

const form = (directory: string, filename: string, bytes: Buffer) =>
  multipartBody([
    { name: 'directory', body: directory },
    { name: 'file', filename, body: bytes },
  ]);
const pendingUploads = async () => (await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];
const pendingKeys = async () => (await pendingUploads()).map((upload) => upload.Key);
const incoming = () => readdir(path.join(service.root, '.incoming'), { recursive: true }).catch((): string[] => []);
const stagedBytes = async () => {
  const dir = path.join(service.root, '.incoming');
  const names = await incoming();
  const sizes = await Promise.all(
    names.map((name) =>
      stat(path.join(dir, name)).then(
        (s) => (s.isFile() ? s.size : 0),
        () => 0,
      ),
    ),
  );
  return sizes.reduce((a, b) => a + b, 0);
};
const objectSha256 = async (Key: string) => {
  const hash = createHash('sha256');
  for await (const chunk of (await client.send(new GetObjectCommand({ Bucket: bucket, Key }))).Body as Readable)
    hash.update(chunk as Buffer);
  return hash.digest('hex');
};
const absent = (Key: string) =>
  expect(client.send(new HeadObjectCommand({ Bucket: bucket, Key }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });

describe('POST /media streamed into an S3 multipart upload (real Ceph RGW)', () => {
  it('stores a file of four parts with its sha256, never staging it, the multipart upload pending while it arrives', async () => {
    const bytes = noiseWav(4 * PART + 12_345);
    let mostStaged = 0;
    let seenPending = false;
    recorder.reset();
    const answer = await sendForm(service.url, form('stream', 'big.wav', bytes), {
      onProgress: async (sent, total) => {
        mostStaged = Math.max(mostStaged, await stagedBytes());
        // Past half of the body, the writer waits until the bucket shows the upload's parts coming.
        if (!seenPending && sent > total / 2) {
          await waitFor('its pending multipart upload', async () => (await pendingKeys()).includes('stream/big.wav'));
          seenPending = true;
        }
      },
    });
    expect(answer?.status).toBe(200);
    expect(answer?.body.files).toEqual([
      expect.objectContaining({
        code: 200,
        directory: 'stream',
        filename: 'big.wav',
        size: bytes.length,
        sha256: sha256(bytes),
        metadata: null,
      }),
    ]);
    expect(seenPending).toBe(true);
    expect(mostStaged).toBeLessThanOrEqual(PART * QUEUE);
    expect(recorder.traffic.multipartSends).toBe(1 + Math.ceil(bytes.length / PART));
    expect(await objectSha256('stream/big.wav')).toBe(sha256(bytes));
    expect(await pendingUploads()).toEqual([]);
    // The audio metadata of a streamed file comes from the analysis of the stored file.
    const listed = async () => (await request(service.url).get('/media').query({ directory: 'stream' })).body.files[0];
    await waitFor('its analysis', async () => (await listed()).metadata?.analysis === 'done', 20_000);
    expect(await listed()).toMatchObject({ sha256: sha256(bytes), size: bytes.length, metadata: { analysis: 'done' } });
  });

  it('leaves no object and no pending multipart upload when the client goes at half the body', async () => {
    const bytes = noiseWav(4 * PART);
    // The analysis of the file stored before keeps a copy here for a while: only new files count.
    const before = await incoming();
    const cut = form('stream', 'cut.wav', bytes);
    const half = cut.body.length / 2;
    // The body is cut only once the bucket shows the upload streaming: nothing of it may come after.
    const answer = await sendForm(service.url, cut, {
      abortAt: half,
      onProgress: (sent) =>
        sent >= half ? waitFor('its pending multipart upload', async () => (await pendingKeys()).includes('stream/cut.wav')) : undefined,
    });
    expect(answer).toBeUndefined();
    await waitFor('the multipart upload aborted', async () => !(await pendingKeys()).includes('stream/cut.wav'));
    expect(await pendingUploads()).toEqual([]);
    await absent('stream/cut.wav');
    expect((await incoming()).filter((name) => !before.includes(name))).toEqual([]);
  });

  it('refuses noise named .mp3 without sending a part, with the answer of the staged path', async () => {
    const bytes = randomBytes(3 * PART);
    recorder.reset();
    const streamed = await sendForm(service.url, form('stream', 'noise.mp3', bytes));
    const staged = await sendForm(service.url, form('stream', 'noise2.mp3', bytes), { chunked: true });
    expect(streamed?.status).toBe(415);
    expect(streamed).toEqual({ ...staged, body: { ...staged!.body, files: [{ ...staged!.body.files![0], filename: 'noise.mp3' }] } });
    expect(recorder.traffic.multipartSends).toBe(0);
    await absent('stream/noise.mp3');
    expect(await pendingUploads()).toEqual([]);
  });

  it('answers FILE_EXISTS for a name that is taken, as the staged path does, and keeps the first file', async () => {
    const first = uniqueMp3('first');
    expect((await upload(service.url, 'multipart', { directory: 'stream', filename: 'taken.mp3', bytes: first })).status).toBe(200);
    const bytes = Buffer.concat([fixture('tone.mp3'), randomBytes(3 * PART)]);
    recorder.reset();
    const streamed = await sendForm(service.url, form('stream', 'taken.mp3', bytes));
    const staged = await sendForm(service.url, form('stream', 'taken.mp3', bytes), { chunked: true });
    expect(streamed?.status).toBe(409);
    expect(streamed?.body).toMatchObject({ code: 501, files: [{ code: 501, directory: 'stream', filename: 'taken.mp3' }] });
    expect(streamed).toEqual(staged);
    expect(recorder.traffic.multipartSends).toBe(0);
    expect(await objectSha256('stream/taken.mp3')).toBe(sha256(first));
    expect(await pendingUploads()).toEqual([]);
  });

  it('judges several files alone, and keeps none of a request whose later file goes over the limit', async () => {
    const good = noiseWav(2 * PART);
    const parts = (directory: string, second: Buffer) =>
      multipartBody([
        { name: 'directory', body: directory },
        { name: 'file', filename: 'good.wav', body: good },
        { name: 'file', filename: 'second.mp3', body: second },
      ]);
    recorder.reset();
    const mixed = await sendForm(service.url, parts('several', randomBytes(2 * PART)));
    expect(mixed?.body).toMatchObject({ code: 504, files: [{ code: 200, filename: 'good.wav', sha256: sha256(good) }, { code: 504 }] });
    expect(await objectSha256('several/good.wav')).toBe(sha256(good));
    expect(recorder.traffic.multipartSends).toBe(1 + 2);

    // good.wav is sent whole before the second file goes over media.maxFileSize: it is dropped.
    recorder.reset();
    const over = await sendForm(service.url, parts('over', randomBytes(MAX_FILE_SIZE + 1)));
    expect(over).toMatchObject({ status: 413, body: { code: 413 } });
    expect(recorder.traffic.multipartSends).toBe(1 + 2);
    expect(await pendingUploads()).toEqual([]);
    await absent('over/good.wav');
  });

  it('stages a file shorter than a part in a large request, keeping its audio metadata, and streams the large one', async () => {
    const small = uniqueMp3('small');
    const large = noiseWav(2 * PART);
    recorder.reset();
    const answer = await sendForm(
      service.url,
      multipartBody([
        { name: 'directory', body: 'mixed' },
        { name: 'file', filename: 'small.mp3', body: small },
        { name: 'file', filename: 'large.wav', body: large },
      ]),
    );
    expect(answer?.body.files).toEqual([
      expect.objectContaining({
        code: 200,
        filename: 'small.mp3',
        sha256: sha256(small),
        metadata: expect.objectContaining({ codec: expect.any(String) }),
      }),
      expect.objectContaining({ code: 200, filename: 'large.wav', sha256: sha256(large), metadata: null }),
    ]);
    expect(recorder.traffic.multipartSends).toBe(1 + 2);
    expect(await objectSha256('mixed/small.mp3')).toBe(sha256(small));
  });

  it('stages a file whose directory field comes after it, and stores it with its audio metadata', async () => {
    const bytes = noiseWav(2 * PART);
    const late = multipartBody([
      { name: 'file', filename: 'late.wav', body: bytes },
      { name: 'directory', body: 'after' },
    ]);
    recorder.reset();
    const answer = await sendForm(service.url, late);
    expect(answer?.status).toBe(200);
    expect(answer?.body.files).toEqual([
      expect.objectContaining({
        code: 200,
        directory: 'after',
        filename: 'late.wav',
        sha256: sha256(bytes),
        metadata: expect.objectContaining({ sampleRate: 44_100 }),
      }),
    ]);
    expect(recorder.traffic.multipartSends).toBe(0);
    expect(await objectSha256('after/late.wav')).toBe(sha256(bytes));
  });
});
