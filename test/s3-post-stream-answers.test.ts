import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sendForm } from './helpers/form-sender.ts';
import { fixture, multipartBody, sha256, uniqueMp3 } from './helpers/media.ts';
import { form, noiseWav, PART, startStreamingService, type StreamingService } from './helpers/streaming-service.ts';
import { upload } from './helpers/upload.ts';

// Issue 25: on S3, POST /media streams a file part of a part or more into a multipart upload as it
// arrives, when its target is known as it starts; its answers are those of the staged path.
let s: StreamingService;
beforeAll(async () => {
  s = await startStreamingService(inject('rgw'));
}, 60_000);
afterAll(() => s?.close());

describe('POST /media on S3: answers of a streamed file as of a staged one (real Ceph RGW)', () => {
  it('refuses noise named .mp3 without sending a part, with the answer of the staged path', async () => {
    const bytes = randomBytes(3 * PART);
    s.recorder.reset();
    const streamed = await sendForm(s.service.url, form('stream', 'noise.mp3', bytes));
    const staged = await sendForm(s.service.url, form('stream', 'noise2.mp3', bytes), { chunked: true });
    expect(streamed?.status).toBe(415);
    expect(streamed).toEqual({ ...staged, body: { ...staged!.body, files: [{ ...staged!.body.files![0], filename: 'noise.mp3' }] } });
    expect(s.recorder.traffic.multipartSends).toBe(0);
    await s.absent('stream/noise.mp3');
    expect(await s.pendingUploads()).toEqual([]);
  });

  it('answers FILE_EXISTS for a name that is taken, as the staged path does, and keeps the first file', async () => {
    const first = uniqueMp3('first');
    expect((await upload(s.service.url, 'multipart', { directory: 'stream', filename: 'taken.mp3', bytes: first })).status).toBe(200);
    const bytes = Buffer.concat([fixture('tone.mp3'), randomBytes(3 * PART)]);
    s.recorder.reset();
    const streamed = await sendForm(s.service.url, form('stream', 'taken.mp3', bytes));
    const staged = await sendForm(s.service.url, form('stream', 'taken.mp3', bytes), { chunked: true });
    expect(streamed?.status).toBe(409);
    expect(streamed?.body).toMatchObject({ code: 501, files: [{ code: 501, directory: 'stream', filename: 'taken.mp3' }] });
    expect(streamed).toEqual(staged);
    expect(s.recorder.traffic.multipartSends).toBe(0);
    expect(await s.objectSha256('stream/taken.mp3')).toBe(sha256(first));
    expect(await s.pendingUploads()).toEqual([]);
  });

  it('stages a file whose directory field comes after it, and stores it with its audio metadata', async () => {
    const bytes = noiseWav(2 * PART);
    const late = multipartBody([
      { name: 'file', filename: 'late.wav', body: bytes },
      { name: 'directory', body: 'after' },
    ]);
    s.recorder.reset();
    const answer = await sendForm(s.service.url, late);
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
    expect(s.recorder.traffic.multipartSends).toBe(0);
    expect(await s.objectSha256('after/late.wav')).toBe(sha256(bytes));
  });
});
