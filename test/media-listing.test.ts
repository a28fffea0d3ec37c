import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { byHand } from './helpers/by-hand.ts';
import { fixture, sha256, uniqueMp3 } from './helpers/media.ts';
import { upload } from './helpers/upload.ts';

describe('GET /media?directory= and audio metadata', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService();
    await upload(service.url, 'multipart', { directory: 'lib', filename: 'tone-id3.mp3', bytes: fixture('tone-id3.mp3') });
    await upload(service.url, 'urlencoded', { directory: 'lib', filename: 'tone.wav', bytes: fixture('tone.wav') });
    await upload(service.url, 'multipart', { directory: 'lib/sub', filename: 'inner.mp3', bytes: fixture('tone.mp3') });
  });
  afterAll(() => service.close());

  it('reports duration, bitrate, sample rate, channels, codec and ID3 tags of tone-id3.mp3', async () => {
    const res = await request(service.url).get('/media').query({ directory: 'lib' });
    const file = res.body.files.find((f: { filename: string }) => f.filename === 'tone-id3.mp3');
    expect(file.metadata.durationSeconds).toBeCloseTo(30, 0);
    expect(file.metadata).toMatchObject({ bitrate: 128000, sampleRate: 44100, channels: 2, title: 'Test Tone', artist: 'Fixture' });
    expect(file.metadata.codec).toMatch(/MPEG.*Layer 3/);
  });

  it('reports 1 s, 8 kHz, mono PCM for tone.wav', async () => {
    const res = await request(service.url).get('/media').query({ directory: 'lib' });
    const file = res.body.files.find((f: { filename: string }) => f.filename === 'tone.wav');
    expect(file.metadata).toMatchObject({ durationSeconds: 1, sampleRate: 8000, channels: 1, codec: 'PCM' });
  });

  it('lists name, size, sha256, modified time and subdirectories, never hidden files', async () => {
    const res = await request(service.url).get('/media').query({ directory: 'lib' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ code: 200, directory: 'lib', directories: ['sub'] });
    expect(res.body.files.map((f: { filename: string }) => f.filename)).toEqual(['tone-id3.mp3', 'tone.wav']);
    const wav = res.body.files[1];
    expect(wav).toMatchObject({ size: fixture('tone.wav').length, sha256: sha256(fixture('tone.wav')), contentType: 'audio/wav' });
    expect(Date.parse(wav.modified)).toBeGreaterThan(Date.now() - 60_000);
    expect(res.body.nextCursor).toBeUndefined();
    const root = await request(service.url).get('/media');
    expect(root.body).toMatchObject({ code: 200, directory: '', directories: ['lib'], files: [] });
  });

  it('describes a file placed by hand on first listing, and again the same way', async () => {
    await byHand(service.config).put('manual', 'copied.mp3', fixture('tone.mp3'));
    for (let listing = 0; listing < 2; listing++) {
      const res = await request(service.url).get('/media').query({ directory: 'manual' });
      expect(res.body.files).toEqual([
        expect.objectContaining({
          filename: 'copied.mp3',
          sha256: sha256(fixture('tone.mp3')),
          metadata: expect.objectContaining({ sampleRate: 8000 }),
        }),
      ]);
    }
  });

  it('shows files copied in and hides files deleted by hand after a directory was listed', async () => {
    const hand = byHand(service.config);
    await hand.put('by-hand', 'first.mp3', fixture('tone.mp3'));
    const names = async () =>
      (await request(service.url).get('/media').query({ directory: 'by-hand' })).body.files.map((f: { filename: string }) => f.filename);
    expect(await names()).toEqual(['first.mp3']);
    await hand.put('by-hand', 'second.mp3', fixture('tone.mp3'));
    expect(await names()).toEqual(['first.mp3', 'second.mp3']);
    await hand.remove('by-hand', 'first.mp3');
    expect(await names()).toEqual(['second.mp3']);
  });

  it('pages with limit and cursor in a stable byte order', async () => {
    const names = ['b.mp3', 'a.mp3', 'Z.mp3', 'é.mp3', '歌.mp3', 'c d.mp3', '10.mp3', '9.mp3'];
    for (const name of names) await upload(service.url, 'multipart', { directory: 'paged', filename: name, bytes: uniqueMp3(name) });
    const expected = [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await request(service.url)
        .get('/media')
        .query({ directory: 'paged', limit: 3, ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      expect(res.body.files.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.files.map((f: { filename: string }) => f.filename));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(expected);
  });

  it.each([
    [{ directory: '../etc' }, 400],
    [{ directory: 'lib', limit: 0 }, 400],
    [{ directory: 'lib', limit: 'many' }, 400],
    [{ directory: 'lib', cursor: '!!' }, 400],
    [{ directory: '.meta' }, 400],
    [{ directory: 'absent' }, 404],
  ])('answers %o with code %i', async (query, code) => {
    const res = await request(service.url).get('/media').query(query);
    expect(res.status).toBe(code);
    expect(res.body.code).toBe(code);
  });
});

describe('metadata that cannot be read', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService();
  });
  afterAll(() => service.close());

  it('still stores a file whose content check passed', async () => {
    const riffHeaderThenJunk = Buffer.concat([fixture('tone.wav').subarray(0, 12), Buffer.from('junk that is not a fmt chunk')]);
    const res = await upload(service.url, 'multipart', { directory: 'junk', filename: 'j.wav', bytes: riffHeaderThenJunk });
    expect(res.status).toBe(200);
    expect(res.body.files[0].metadata?.durationSeconds).toBeUndefined();
  });
});
