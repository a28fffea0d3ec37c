import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sendForm } from './helpers/form-sender.ts';
import { multipartBody, sha256, uniqueMp3 } from './helpers/media.ts';
import { form, noiseWav, MAX_FILE_SIZE, PART, QUEUE, startStreamingService, type StreamingService } from './helpers/streaming-service.ts';
import { waitFor } from './helpers/wait.ts';

// Issue 25: on S3, POST /media streams a file part of a part or more into a multipart upload as it
// arrives, when its target is known as it starts; what it holds and what it leaves.
let s: StreamingService;
beforeAll(async () => {
  s = await startStreamingService(inject('rgw'));
}, 60_000);
afterAll(() => s?.close());

describe('POST /media streamed into an S3 multipart upload (real Ceph RGW)', () => {
  it('stores a file of four parts with its sha256, never staging it, the multipart upload pending while it arrives', async () => {
    const bytes = noiseWav(4 * PART + 12_345);
    let mostStaged = 0;
    let seenPending = false;
    s.recorder.reset();
    const answer = await sendForm(s.service.url, form('stream', 'big.wav', bytes), {
      onProgress: async (sent, total) => {
        mostStaged = Math.max(mostStaged, await s.stagedBytes());
        // Past half of the body, the writer waits until the bucket shows the upload's parts coming.
        if (!seenPending && sent > total / 2) {
          await waitFor('its pending multipart upload', async () => (await s.pendingKeys()).includes('stream/big.wav'));
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
    expect(s.recorder.traffic.multipartSends).toBe(1 + Math.ceil(bytes.length / PART));
    expect(await s.objectSha256('stream/big.wav')).toBe(sha256(bytes));
    expect(await s.pendingUploads()).toEqual([]);
    // The audio metadata of a streamed file comes from the analysis of the stored file.
    const listed = async () => (await request(s.service.url).get('/media').query({ directory: 'stream' })).body.files[0];
    await waitFor('its analysis', async () => (await listed()).metadata?.analysis === 'done', 20_000);
    expect(await listed()).toMatchObject({ sha256: sha256(bytes), size: bytes.length, metadata: { analysis: 'done' } });
  });

  it('leaves no object and no pending multipart upload when the client goes at half the body', async () => {
    const bytes = noiseWav(4 * PART);
    // The analysis of the file stored before keeps a copy here for a while: only new files count.
    const before = await s.incoming();
    const cut = form('stream', 'cut.wav', bytes);
    const half = cut.body.length / 2;
    // The body is cut only once the bucket shows the upload streaming: nothing of it may come after.
    const answer = await sendForm(s.service.url, cut, {
      abortAt: half,
      onProgress: (sent) =>
        sent >= half ? waitFor('its pending multipart upload', async () => (await s.pendingKeys()).includes('stream/cut.wav')) : undefined,
    });
    expect(answer).toBeUndefined();
    await waitFor('the multipart upload aborted', async () => !(await s.pendingKeys()).includes('stream/cut.wav'));
    expect(await s.pendingUploads()).toEqual([]);
    await s.absent('stream/cut.wav');
    expect((await s.incoming()).filter((name) => !before.includes(name))).toEqual([]);
  });

  it('stages a file shorter than a part in a large request, keeping its audio metadata, and streams the large one', async () => {
    const small = uniqueMp3('small');
    const large = noiseWav(2 * PART);
    s.recorder.reset();
    const answer = await sendForm(
      s.service.url,
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
    expect(s.recorder.traffic.multipartSends).toBe(1 + 2);
    expect(await s.objectSha256('mixed/small.mp3')).toBe(sha256(small));
  });

  it('judges several files alone, and keeps none of a request whose later file goes over the limit', async () => {
    const good = noiseWav(2 * PART);
    const parts = (directory: string, second: Buffer) =>
      multipartBody([
        { name: 'directory', body: directory },
        { name: 'file', filename: 'good.wav', body: good },
        { name: 'file', filename: 'second.mp3', body: second },
      ]);
    s.recorder.reset();
    const mixed = await sendForm(s.service.url, parts('several', randomBytes(2 * PART)));
    expect(mixed?.body).toMatchObject({ code: 504, files: [{ code: 200, filename: 'good.wav', sha256: sha256(good) }, { code: 504 }] });
    expect(await s.objectSha256('several/good.wav')).toBe(sha256(good));
    expect(s.recorder.traffic.multipartSends).toBe(1 + 2);

    // good.wav is sent whole before the second file goes over media.maxFileSize: it is dropped.
    s.recorder.reset();
    const over = await sendForm(s.service.url, parts('over', randomBytes(MAX_FILE_SIZE + 1)));
    expect(over).toMatchObject({ status: 413, body: { code: 413 } });
    expect(s.recorder.traffic.multipartSends).toBe(1 + 2);
    expect(await s.pendingUploads()).toEqual([]);
    await s.absent('over/good.wav');
  });
});
