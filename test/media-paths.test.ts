import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { fixture, multipartBody, sha256 } from './helpers/media.ts';
import { downloaded, storedFiles, topDirectories } from './helpers/stored.ts';
import { BODY_KINDS, upload } from './helpers/upload.ts';

const UNSAFE_DIRECTORIES = [
  ['parent segment', '../outside'],
  ['nested parent', 'a/../../outside'],
  ['backslash parent', '..\\outside'],
  ['percent-encoded parent', '%2e%2e%2foutside'],
  ['half-encoded parent', '.%2e/outside'],
  ['absolute path', '/etc'],
  ['NUL byte', 'a\u0000b'],
  ['fullwidth dots', '\uff0e\uff0e/outside'],
  ['fullwidth solidus', 'a\uff0fb'],
  ['dot directory', '.incoming'],
  ['current directory', './a'],
  ['empty segment', 'a//b'],
  ['trailing slash', 'a/'],
  ['control character', 'a\u0007b'],
  ['too deep', 'a/b/c/d/e/f/g/h/i'],
  ['segment over 255 bytes', '歌'.repeat(86)],
];

/** Everything the store holds: after a refused upload, no file and no directory. */
const everything = async (service: RunningService) => ({
  files: await storedFiles(service.store),
  directories: await topDirectories(service.store),
});

const UNSAFE_FILENAMES = [
  ['parent', '..'],
  ['path in name', '../x.mp3'],
  ['backslash path', '..\\x.mp3'],
  ['percent-encoded slash', '%2e%2e%2fx.mp3'],
  ['hidden file', '.x.mp3'],
  ['NUL byte', 'x\u0000.mp3'],
  ['fullwidth traversal', '\uff0e\uff0e\uff0fx.mp3'],
];

describe.each(BODY_KINDS)('upload paths, %s body', (kind) => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService();
  });
  afterAll(() => service.close());

  it.each(UNSAFE_DIRECTORIES)('refuses a directory with a %s (400) and touches nothing', async (_label, directory) => {
    const res = await upload(service.url, kind, { directory, filename: 'x.mp3', bytes: fixture('tone.mp3') });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(400);
    expect(res.body.reason).toMatch(/^invalid argument: directory: /);
    expect(await everything(service)).toEqual({ files: [], directories: [] });
  });

  it.each(UNSAFE_FILENAMES)('refuses a filename with a %s (400) and touches nothing', async (_label, filename) => {
    const res = await upload(service.url, kind, { directory: 'safe', filename, bytes: fixture('tone.mp3') });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(400);
    expect(await everything(service)).toEqual({ files: [], directories: [] });
  });

  it.each([
    ['CJK', '歌曲', '歌曲.mp3'],
    ['NFD accents', 'Caf\u0065\u0301', 'cafe\u0301-r\u00e9sum\u00e9'.normalize('NFD') + '.mp3'],
    ['emoji and spaces', 'my songs 🎵', 'a b+c&d=e%.mp3'],
  ])('stores %s names under their exact bytes', async (_label, directory, filename) => {
    const bytes = fixture('tone.mp3');
    const res = await upload(service.url, kind, { directory, filename, bytes });
    expect(res.status).toBe(200);
    expect(res.body.files[0]).toMatchObject({ directory, filename });
    const listed = await request(service.url).get('/media').query({ directory });
    const names: string[] = listed.body.files.map((f: { filename: string }) => f.filename);
    expect(names.map((name) => Buffer.from(name, 'utf8'))).toContainEqual(Buffer.from(filename, 'utf8'));
    expect(await downloaded(service.url, directory, filename)).toEqual(bytes);
  });

  it('compares the extension case-insensitively', async () => {
    const res = await upload(service.url, kind, { directory: 'case', filename: 'LOUD.Mp3', bytes: fixture('tone.mp3') });
    expect(res.status).toBe(200);
  });
});

describe('urlencoded bytes', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({ media: { verifyContent: false } });
  });
  afterAll(() => service.close());

  it('stores all 256 byte values exactly (sha256 of the file = sha256 of the bytes sent)', async () => {
    const every = Buffer.from(Array.from({ length: 256 * 4 }, (_, i) => i % 256));
    const res = await upload(service.url, 'urlencoded', { directory: 'bin', filename: 'all.mp3', bytes: every });
    expect(res.status).toBe(200);
    expect(res.body.files[0].sha256).toBe(sha256(every));
    expect(await downloaded(service.url, 'bin', 'all.mp3')).toEqual(every);
  });

  it("decodes '+' as a space and keeps raw and unescaped bytes as sent", async () => {
    const body = Buffer.concat([Buffer.from('directory=raw&filename=r.mp3&body=a+b%2B%zz%'), Buffer.from([0xff, 0x80, 0x00])]);
    // fetch sends the Buffer as is; form libraries would re-encode it.
    const res = await fetch(`${service.url}/media`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    expect(await res.json()).toMatchObject({ code: 200 });
    const stored = await downloaded(service.url, 'raw', 'r.mp3');
    expect(stored).toEqual(Buffer.concat([Buffer.from('a b+%zz%'), Buffer.from([0xff, 0x80, 0x00])]));
  });

  it('decodes a multi-MiB body split across decoding slices exactly', async () => {
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 7, 0);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) % 256;
    const res = await upload(service.url, 'urlencoded', { directory: 'big', filename: 'b.mp3', bytes });
    expect(res.status).toBe(200);
    expect(res.body.files[0]).toMatchObject({ size: bytes.length, sha256: sha256(bytes) });
  });

  it('refuses a field given twice (400)', async () => {
    const res = await request(service.url).post('/media').type('form').send('directory=a&directory=b&filename=x.mp3&body=abc');
    expect(res.status).toBe(400);
    expect(res.body.reason).toMatch(/directory given more than once/);
  });
});

describe('multipart directory and several files', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService();
  });
  afterAll(() => service.close());

  it('uses the field name as the directory when there is no directory field', async () => {
    const res = await request(service.url).post('/media').attach('songs', fixture('tone.mp3'), 'a.mp3');
    expect(res.status).toBe(200);
    expect(await storedFiles(service.store)).toContain('songs/a.mp3');
  });

  it('uses the directory field even when it comes after the files', async () => {
    const res = await request(service.url)
      .post('/media')
      .attach('x', fixture('tone.mp3'), 'late.mp3')
      .attach('y', fixture('tone.wav'), 'late.wav')
      .field('directory', 'after/files');
    expect(res.status).toBe(200);
    expect(await storedFiles(service.store)).toEqual(expect.arrayContaining(['after/files/late.mp3', 'after/files/late.wav']));
  });

  it('judges each file alone and answers the first failure code', async () => {
    const { body, contentType } = multipartBody([
      { name: 'directory', body: 'mixed' },
      { name: 'f', filename: 'good.mp3', body: fixture('tone.mp3') },
      { name: 'f', filename: 'bad.mp3', body: 'not audio' },
      { name: 'f', filename: 'notes.txt', body: 'text' },
      { name: 'f', filename: 'good.wav', body: fixture('tone.wav') },
    ]);
    const res = await request(service.url).post('/media').set('Content-Type', contentType).send(body);
    expect(res.status).toBe(415);
    expect(res.body.code).toBe(504);
    expect(res.body.files.map((f: { filename: string; code: number }) => [f.filename, f.code])).toEqual([
      ['good.mp3', 200],
      ['bad.mp3', 504],
      ['notes.txt', 504],
      ['good.wav', 200],
    ]);
    expect((await storedFiles(service.store)).filter((f) => f.startsWith('mixed/'))).toEqual(['mixed/good.mp3', 'mixed/good.wav']);
  });

  it('refuses a directory field given twice (400) and keeps no temp file', async () => {
    const res = await request(service.url)
      .post('/media')
      .field('directory', 'one')
      .field('directory', 'two')
      .attach('f', fixture('tone.mp3'), 'x.mp3');
    expect(res.status).toBe(400);
    expect((await storedFiles(service.store)).filter((f) => f.startsWith('one/'))).toEqual([]);
    expect(await service.store.staged()).toEqual([]);
  });
});
