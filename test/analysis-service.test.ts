import { mkdtemp, readFile, rm, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testKey } from './helpers/access.ts';
import { analysisFinished, listedMetadata, resultFilesOf } from './helpers/analysis.ts';
import { startService, type RunningService } from './helpers/app.ts';
import { ffmpegSamples, lame, peaksOf, sox } from './helpers/audio-tools.ts';
import { tusUpload } from './helpers/tus.ts';
import { upload } from './helpers/upload.ts';

// Analysis in the running service (local backend): after each upload path, the listing's
// `analysis` and `loudness`, GET /waveforms, the failed and pending answers, removal, access.
let service: RunningService;
let dir: string;
let sine: Buffer;
let mp3: Buffer;
const reader = testKey('reader', ['read'], ['open']);
const writer = testKey('writer', ['read', 'write', 'delete']);

/** A WAV that passes the content check (RIFF/WAVE) but whose encoding (IMA ADPCM) analysis does not decode. */
function undecodableWav(): Buffer {
  const fmt = Buffer.alloc(20);
  fmt.writeUInt16LE(0x11, 0); // IMA ADPCM
  fmt.writeUInt16LE(1, 2);
  fmt.writeUInt32LE(8000, 4);
  fmt.writeUInt32LE(4000, 8);
  fmt.writeUInt16LE(256, 12);
  fmt.writeUInt16LE(4, 14);
  const data = Buffer.alloc(2048, 0x11);
  const chunks = [Buffer.from('WAVE'), Buffer.from('fmt '), u32(fmt.length), fmt, Buffer.from('data'), u32(data.length), data];
  const body = Buffer.concat(chunks);
  return Buffer.concat([Buffer.from('RIFF'), u32(body.length), body]);
}
const u32 = (value: number) => {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(value);
  return out;
};
const bearer = writer.bearer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'analysis-service-'));
  await sox('-n', '-r', '48000', '-b', '16', '-c', '2', path.join(dir, 'sine.wav'), 'synth', '4', 'sine', '1000', 'vol', '-23dB');
  await lame(path.join(dir, 'sine.wav'), path.join(dir, 'sine.mp3'));
  [sine, mp3] = await Promise.all([readFile(path.join(dir, 'sine.wav')), readFile(path.join(dir, 'sine.mp3'))]);
  service = await startService({ auth: { keys: [reader.entry, writer.entry], protectReads: true } });
}, 60_000);

afterAll(async () => {
  await service?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('analysis after each upload path', () => {
  it('analyses a multipart WAV: the listing carries analysis done and its loudness, the waveform its exact peaks', async () => {
    const answer = await upload(service.url, 'multipart', { directory: 'open', filename: 'sine.wav', bytes: sine, token: writer.secret });
    expect(answer.status).toBe(200);
    const metadata = await analysisFinishedAs(writer, 'open', 'sine.wav');
    expect(metadata).toMatchObject({ analysis: 'done', durationSeconds: 4 });
    const loudness = metadata.loudness as Record<string, number>;
    expect(loudness.integrated).toBeCloseTo(-23, 1);
    expect(loudness.samplePeak).toBeCloseTo(-23, 1);
    const waveform = await request(service.url).get('/waveforms/open/sine.wav').set(bearer);
    expect(waveform.status).toBe(200);
    expect(waveform.body).toMatchObject({ version: 2, channels: 2, sample_rate: 48000, samples_per_pixel: 256, bits: 16, length: 750 });
    expect(waveform.body.data).toEqual(peaksOf(await ffmpegSamples(path.join(dir, 'sine.wav')), 256));
  });

  it('says the same in the headers of HEAD and GET of the file', async () => {
    for (const method of ['head', 'get'] as const) {
      const answer = await request(service.url)[method]('/media/open/sine.wav').set(bearer);
      expect(answer.status).toBe(200);
      expect(answer.headers['audio-analysis']).toBe('done');
      expect(answer.headers['audio-loudness']).toMatch(
        /^integrated=-2[23]\.\d\d, range=\d+\.\d\d, true-peak=-2[23]\.\d\d, sample-peak=-2[23]\.\d\d$/,
      );
    }
  });

  it('answers a coarser view for ?pixels and refuses pixels out of range', async () => {
    const coarse = await request(service.url).get('/waveforms/open/sine.wav').query({ pixels: 100 }).set(bearer);
    expect(coarse.status).toBe(200);
    expect(coarse.body).toMatchObject({ samples_per_pixel: 256 * 8, length: 94 });
    for (const pixels of ['0', '-3', 'x', '100001']) {
      const refused = await request(service.url).get('/waveforms/open/sine.wav').query({ pixels }).set(bearer);
      expect(refused.status).toBe(400);
      expect(refused.body.reason).toMatch(/pixels must be an integer from 1 to 100000 \(analysis.maxPixels\)/);
    }
  });

  it('analyses an MP3 sent urlencoded and one sent with tus', async () => {
    expect(
      (await upload(service.url, 'urlencoded', { directory: 'open', filename: 'form.mp3', bytes: mp3, token: writer.secret })).status,
    ).toBe(200);
    expect((await tusUpload(service.url, mp3, { directory: 'open', filename: 'tus.mp3', token: writer.secret })).status).toBe(200);
    for (const name of ['form.mp3', 'tus.mp3']) {
      const metadata = await analysisFinishedAs(writer, 'open', name);
      expect(metadata.analysis).toBe('done');
      expect((metadata.loudness as Record<string, number>).integrated).toBeCloseTo(-23.4, 0);
    }
  });
});

describe('failed and pending analysis', () => {
  it('gives a file that does not decode a failed state with the reason, once', async () => {
    const answer = await upload(service.url, 'multipart', {
      directory: 'open',
      filename: 'adpcm.wav',
      bytes: undecodableWav(),
      token: writer.secret,
    });
    expect(answer.status).toBe(200);
    expect((await analysisFinishedAs(writer, 'open', 'adpcm.wav')).analysis).toBe('failed');
    const waveform = await request(service.url).get('/waveforms/open/adpcm.wav').set(bearer);
    expect(waveform.status).toBe(422);
    expect(waveform.body).toEqual({ code: 509, reason: 'analysis failed: unsupported WAV encoding 17 with 4 bits' });
    const failures = service.logs.filter((line) => line.msg === 'audio analysis failed');
    expect(failures).toHaveLength(1);
  });

  it('says pending, with Retry-After, while a file has no result', async () => {
    await upload(service.url, 'multipart', { directory: 'open', filename: 'later.wav', bytes: sine, token: writer.secret });
    await analysisFinishedAs(writer, 'open', 'later.wav');
    // The result taken away by hand: what the file looks like before its analysis has run.
    const results = await resultFilesOf(service.root, 'open', 'later.wav');
    expect(results.map((file) => path.extname(file)).sort()).toEqual(['.dat', '.json']);
    for (const file of results) await unlink(file);
    expect((await listedMetadata(service.url, 'open', 'later.wav', bearer))?.analysis).toBe('pending');
    expect((await request(service.url).head('/media/open/later.wav').set(bearer)).headers['audio-analysis']).toBe('pending');
    const waveform = await request(service.url).get('/waveforms/open/later.wav').set(bearer);
    expect(waveform.status).toBe(503);
    expect(waveform.headers['retry-after']).toBe('5');
    expect(waveform.body.code).toBe(508);
  });
});

describe('removal and access', () => {
  it('removes the results with the file', async () => {
    await upload(service.url, 'multipart', { directory: 'open', filename: 'gone.wav', bytes: sine, token: writer.secret });
    await analysisFinishedAs(writer, 'open', 'gone.wav');
    expect(await resultFilesOf(service.root, 'open', 'gone.wav')).toHaveLength(2);
    const deleted = await request(service.url).delete('/media').query({ directory: 'open', filename: 'gone.wav' }).set(bearer);
    expect(deleted.body.deleted).toBe(true);
    expect(await resultFilesOf(service.root, 'open', 'gone.wav')).toEqual([]);
    expect((await request(service.url).get('/waveforms/open/gone.wav').set(bearer)).status).toBe(404);
  });

  it('serves waveforms only with the read access the file needs', async () => {
    await upload(service.url, 'multipart', { directory: 'closed', filename: 'sine.wav', bytes: sine, token: writer.secret });
    expect((await request(service.url).get('/waveforms/open/sine.wav')).status).toBe(401);
    expect((await request(service.url).get('/waveforms/open/sine.wav').set(reader.bearer)).status).toBe(200);
    expect((await request(service.url).get('/waveforms/closed/sine.wav').set(reader.bearer)).status).toBe(403);
  });
});

function analysisFinishedAs(key: typeof writer, directory: string, filename: string) {
  return analysisFinished(service.url, directory, filename, 20_000, key.bearer);
}
