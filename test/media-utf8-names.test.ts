import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { startService, type RunningService } from './helpers/app.ts';
import { filesUnder, fixture } from './helpers/media.ts';
import { createUpload, TUS_HEADERS } from './helpers/tus.ts';
import { upload } from './helpers/upload.ts';

let service: RunningService;

beforeAll(async () => {
  service = await startService();
});
afterAll(() => service.close());

/** Bytes that are not UTF-8: Latin-1 "é" (0xE9) and a lone continuation byte (0x80). */
const NOT_UTF8 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x80]);

/** A multipart body whose file part's filename (or the directory field) holds raw bytes. */
function rawMultipart(directory: Buffer, filename: Buffer): { body: Buffer; contentType: string } {
  const boundary = '----raw-names';
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="directory"\r\n\r\n`),
    directory,
    Buffer.from(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="`),
    filename,
    Buffer.from(`"\r\nContent-Type: audio/mpeg\r\n\r\n`),
    fixture('tone.mp3'),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

const percent = (bytes: Buffer) => [...bytes].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');

describe('names that are not valid UTF-8 are refused (400), never stored under U+FFFD', () => {
  it('in a multipart filename and directory field', async () => {
    for (const [directory, filename] of [
      [Buffer.from('names'), Buffer.concat([NOT_UTF8, Buffer.from('.mp3')])],
      [NOT_UTF8, Buffer.from('a.mp3')],
    ]) {
      const { body, contentType } = rawMultipart(directory!, filename!);
      const answer = await request(service.url).post('/media').set('Content-Type', contentType).send(body);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ code: 400, reason: expect.stringContaining('UTF-8') });
    }
    expect(await filesUnder(service.root)).toEqual([]);
  });

  it('in urlencoded fields', async () => {
    const bytes = fixture('tone.mp3');
    for (const [directory, filename] of [
      ['names', `${percent(NOT_UTF8)}.mp3`],
      [percent(NOT_UTF8), 'a.mp3'],
    ]) {
      const answer = await request(service.url)
        .post('/media')
        .type('form')
        .send(`directory=${directory}&filename=${filename}&body=${percent(bytes)}`);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ code: 400, reason: expect.stringContaining('UTF-8') });
    }
    expect(await filesUnder(service.root)).toEqual([]);
  });

  it('in tus Upload-Metadata', async () => {
    const metadata = `directory ${Buffer.from('names').toString('base64')},filename ${Buffer.concat([NOT_UTF8, Buffer.from('.mp3')]).toString('base64')}`;
    const answer = await fetch(`${service.url}/uploads`, {
      method: 'POST',
      headers: { ...TUS_HEADERS, 'Upload-Length': '1000', 'Upload-Metadata': metadata },
    });
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ code: 400, reason: expect.stringContaining('UTF-8') });
    expect(answer.headers.get('location')).toBeNull();
  });

  it('in download paths, the listing and DELETE', async () => {
    const bad = percent(NOT_UTF8);
    for (const [what, send] of [
      ['download', () => request(service.url).get(`/media/names/${bad}.mp3`)],
      ['download directory', () => request(service.url).get(`/media/${bad}/a.mp3`)],
      ['listing', () => request(service.url).get(`/media?directory=${bad}`)],
      ['delete', () => request(service.url).delete(`/media?directory=names&filename=${bad}.mp3`)],
    ] as const) {
      const answer = await send();
      expect(answer.status, what).toBe(400);
      expect(answer.body, what).toMatchObject({ code: 400 });
    }
  });

  it('stores valid UTF-8 names as they are (歌曲.mp3)', async () => {
    const answer = await upload(service.url, 'multipart', { directory: 'names', filename: '歌曲.mp3', bytes: fixture('tone.mp3') });
    expect(answer.status).toBe(200);
    expect((await createUpload(service.url, 'names', '歌曲-2.mp3', 1000)).status).toBe(201);
  });
});

describe('a trailing slash on a download path', () => {
  it('GET /media/songs/ answers as GET /media/songs does', async () => {
    expect((await upload(service.url, 'multipart', { directory: 'songs', filename: 'a.mp3', bytes: fixture('tone.mp3') })).status).toBe(
      200,
    );
    const bare = await request(service.url).get('/media/songs');
    const slashed = await request(service.url).get('/media/songs/');
    expect(slashed.status).toBe(bare.status);
    expect(slashed.body).toEqual(bare.body);
    const nested = await request(service.url).get('/media/songs/a.mp3/');
    expect(nested.status).toBe((await request(service.url).get('/media/songs/a.mp3')).status);
  });
});
