import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { mintSignature, signatureOf, signingKey, tampered, testKey, withKid } from './helpers/access.ts';
import { fixture, multipartBody, sha256, uniqueMp3, urlencodedUpload } from './helpers/media.ts';
import { runnableBlocks } from './helpers/readme.ts';
import { storedFiles } from './helpers/stored.ts';
import { createUpload, headUpload, patchUpload } from './helpers/tus.ts';

const run = promisify(execFile);
const OLD = signingKey('k-old');
const NEW = signingKey('k-new');
const RETIRED = signingKey('k-retired');
const SKEW = 30;
const app = testKey('app', ['read', 'write'], ['podcasts']);
const tone = fixture('tone.mp3');

/** An app server in another language, as the README shows it: Python's standard library only. */
const [PYTHON_SIGNER] = runnableBlocks('## Access: keys and signed URLs').filter((block) => block.lang === 'python');

describe('signed URLs', () => {
  let service: RunningService;
  let now = Date.parse('2026-12-06T06:00:00Z');
  const seconds = () => Math.floor(now / 1000);
  beforeAll(async () => {
    // NEW signs, OLD still verifies (a rotation half-way); RETIRED was removed.
    service = await startService(
      { auth: { keys: [app.entry], protectReads: true, signingKeys: [NEW, OLD], clockSkewSeconds: SKEW } },
      { clock: () => now },
    );
    const { body, contentType } = multipartBody([
      { name: 'directory', body: 'podcasts' },
      { name: 'file', filename: 'episode.mp3', body: tone },
    ]);
    expect(
      (await fetch(`${service.url}/media`, { method: 'POST', headers: { ...app.bearer, 'Content-Type': contentType }, body })).status,
    ).toBe(200);
  });
  afterAll(() => service.close());

  const sign = async (request: Record<string, unknown>, headers: Record<string, string> = app.bearer) => {
    const res = await fetch(`${service.url}/signed-urls`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json' },
      body: JSON.stringify(request),
    });
    return {
      status: res.status,
      body: (await res.json()) as { code: number; reason: string; url: string; tusEndpoint?: string; expiresAt: string },
    };
  };
  const download = { operation: 'download', directory: 'podcasts', filename: 'episode.mp3', expiresIn: 600 };
  const get = (path: string, signature: string, init: RequestInit = {}) =>
    fetch(`${service.url}${path}?signature=${encodeURIComponent(signature)}`, init);

  it('answers a URL and its expiry; the URL downloads with no header: GET, HEAD, a range, the ETag, ?download=1', async () => {
    const { status, body } = await sign(download);
    expect(status).toBe(200);
    expect(body).toMatchObject({ code: 200, reason: 'OK', expiresAt: new Date((seconds() + 600) * 1000).toISOString() });
    const whole = await fetch(body.url);
    expect(whole.status).toBe(200);
    expect(sha256(Buffer.from(await whole.arrayBuffer()))).toBe(sha256(tone));
    const etag = whole.headers.get('etag')!;
    expect(etag).toBe(`"${sha256(tone)}"`);
    expect((await fetch(body.url, { method: 'HEAD' })).headers.get('content-length')).toBe(String(tone.length));
    const range = await fetch(body.url, { headers: { Range: 'bytes=10-19' } });
    expect(range.status).toBe(206);
    expect(Buffer.from(await range.arrayBuffer())).toEqual(tone.subarray(10, 20));
    // supertest: fetch() adds Cache-Control: no-cache to a conditional request (Fetch standard).
    expect((await request(body.url).get('').set('If-None-Match', etag)).status).toBe(304);
    const attachment = await fetch(`${body.url}&download=1`);
    expect(attachment.headers.get('content-disposition')).toContain('attachment; filename="episode.mp3"');
  });

  it('signs with the first signing key: header kid and claims exactly op, dir, name, exp (and max for uploads)', async () => {
    const jwt = signatureOf((await sign(download)).body.url);
    const [header, payload] = jwt
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as object);
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT', kid: NEW.id });
    expect(payload).toEqual({ op: 'download', dir: 'podcasts', name: 'episode.mp3', exp: seconds() + 600 });
    const upload = signatureOf((await sign({ operation: 'upload', directory: 'podcasts', filename: 'x.mp3', maxSize: 5000 })).body.url);
    expect(JSON.parse(Buffer.from(upload.split('.')[1]!, 'base64url').toString('utf8'))).toEqual({
      op: 'upload',
      dir: 'podcasts',
      name: 'x.mp3',
      exp: seconds() + 3600,
      max: 5000,
    });
  });

  it.each([
    ['op', (c: Record<string, unknown>) => (c.op = 'upload')],
    ['dir', (c: Record<string, unknown>) => (c.dir = 'music')],
    ['name', (c: Record<string, unknown>) => (c.name = 'other.mp3')],
    ['exp', (c: Record<string, unknown>) => (c.exp = (c.exp as number) + 3600)],
    ['max', (c: Record<string, unknown>) => (c.max = 1)],
  ])('answers 401 "signature does not match" when the claim %s is altered', async (_claim, change) => {
    const jwt = signatureOf((await sign(download)).body.url);
    const res = await get('/media/podcasts/episode.mp3', tampered(jwt, change));
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ code: 401, reason: 'signature does not match' });
  });

  it('answers 401 when the kid names another key, and 403 for a valid signature on another path or operation', async () => {
    const jwt = signatureOf((await sign(download)).body.url);
    expect((await get('/media/podcasts/episode.mp3', withKid(jwt, OLD.id))).status).toBe(401);
    const other = await get('/media/podcasts/other.mp3', jwt);
    expect(other.status).toBe(403);
    expect((await other.json()) as object).toMatchObject({ code: 403, reason: expect.stringContaining('not podcasts/other.mp3') });
    const listing = await fetch(`${service.url}/media?directory=podcasts&signature=${jwt}`);
    expect(listing.status).toBe(403);
    const { body, contentType } = multipartBody([{ name: 'file', filename: 'episode.mp3', body: tone }]);
    const post = await fetch(`${service.url}/media?signature=${jwt}`, { method: 'POST', headers: { 'Content-Type': contentType }, body });
    expect(post.status).toBe(403);
    expect(
      (await fetch(`${service.url}/media?directory=podcasts&filename=episode.mp3&signature=${jwt}`, { method: 'DELETE' })).status,
    ).toBe(403);
  });

  it('expires by the injected clock, within the allowed skew; the reason says when', async () => {
    const { body } = await sign({ ...download, expiresIn: 60 });
    const exp = seconds() + 60;
    const start = now;
    try {
      now = (exp + SKEW - 1) * 1000;
      expect((await fetch(body.url)).status).toBe(200);
      now = (exp + SKEW) * 1000;
      const expired = await fetch(body.url);
      expect(expired.status).toBe(401);
      expect(await expired.json()).toEqual({ code: 401, reason: `signature expired at ${new Date(exp * 1000).toISOString()}` });
    } finally {
      now = start;
    }
  });

  it('verifies with every signing key (rotation) and refuses one that was removed', async () => {
    const claims = { op: 'download', dir: 'podcasts', name: 'episode.mp3', exp: seconds() + 60 };
    expect((await get('/media/podcasts/episode.mp3', await mintSignature(OLD, claims))).status).toBe(200);
    const removed = await get('/media/podcasts/episode.mp3', await mintSignature(RETIRED, claims));
    expect(removed.status).toBe(401);
    expect(((await removed.json()) as { reason: string }).reason).toMatch(/^signature does not match/);
  });

  it("accepts a signature minted by an independent implementation (the README's python3 standard-library signer)", async () => {
    const claims = { op: 'download', dir: 'podcasts', name: 'episode.mp3', exp: seconds() + 60 };
    const { stdout } = await run('python3', ['-c', PYTHON_SIGNER!.body, OLD.id, OLD.secret, JSON.stringify(claims)]);
    const res = await get('/media/podcasts/episode.mp3', stdout.trim());
    expect(res.status).toBe(200);
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha256(tone));
  });

  it('refuses what the key may not do itself, lifetimes over the bound, and sizes over media.maxFileSize', async () => {
    expect((await sign({ ...download, directory: 'music' })).status).toBe(403);
    expect((await sign(download, {})).status).toBe(401);
    const tooLong = await sign({ ...download, expiresIn: 7 * 24 * 3600 + 1 });
    expect(tooLong.body).toEqual({ code: 400, reason: 'invalid argument: expiresIn: at most 604800 seconds (auth.maxDownloadExpiresIn)' });
    expect((await sign({ operation: 'upload', directory: 'podcasts', filename: 'a.mp3', expiresIn: 24 * 3600 + 1 })).status).toBe(400);
    expect((await sign({ operation: 'upload', directory: 'podcasts', filename: 'a.mp3', maxSize: 200 * 1024 * 1024 })).status).toBe(400);
    expect((await sign({ operation: 'upload', directory: 'podcasts', filename: 'a.txt' })).status).toBe(415);
  });

  describe('upload URLs', () => {
    const signUpload = async (filename: string, maxSize = 1_000_000, expiresIn = 600) =>
      (await sign({ operation: 'upload', directory: 'podcasts', filename, maxSize, expiresIn })).body;

    it('create their one file through a multipart form with the file alone; a second use is 501 (never replaced)', async () => {
      const { url } = await signUpload('form.mp3');
      const { body, contentType } = multipartBody([{ name: 'file', filename: 'on-my-disk.mp3', body: tone }]);
      const first = await fetch(url, { method: 'POST', headers: { 'Content-Type': contentType }, body });
      expect(first.status).toBe(200);
      expect(await first.json()).toMatchObject({ files: [{ directory: 'podcasts', filename: 'form.mp3', sha256: sha256(tone) }] });
      const again = multipartBody([{ name: 'file', filename: 'x.mp3', body: uniqueMp3('again') }]);
      expect((await fetch(url, { method: 'POST', headers: { 'Content-Type': again.contentType }, body: again.body })).status).toBe(409);
    });

    it('create their one file through a urlencoded body', async () => {
      const { url } = await signUpload('urlencoded.mp3');
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: urlencodedUpload({ body: tone }),
      });
      expect(res.status).toBe(200);
      expect(await storedFiles(service.store, 'podcasts')).toContain('podcasts/urlencoded.mp3');
    });

    it('refuse a form field naming another directory or file (403), a file over max (413), and store nothing', async () => {
      const { url } = await signUpload('guarded.mp3', tone.length - 1);
      const before = await storedFiles(service.store);
      const elsewhere = multipartBody([
        { name: 'directory', body: 'music' },
        { name: 'file', filename: 'x.mp3', body: tone.subarray(0, 100) },
      ]);
      const refused = await fetch(url, { method: 'POST', headers: { 'Content-Type': elsewhere.contentType }, body: elsewhere.body });
      expect(await refused.json()).toMatchObject({ code: 403, files: [{ directory: 'music', code: 403 }] });
      const renamed = urlencodedUpload({ directory: 'podcasts', filename: 'other.mp3', body: tone.subarray(0, 100) });
      const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: renamed });
      expect(res.status).toBe(403);
      const big = multipartBody([{ name: 'file', filename: 'x.mp3', body: tone }]);
      expect((await fetch(url, { method: 'POST', headers: { 'Content-Type': big.contentType }, body: big.body })).status).toBe(413);
      expect(await storedFiles(service.store)).toEqual(before);
    });

    it('create a resumable upload that finishes by its upload URL alone after the signature expired', async () => {
      const { tusEndpoint, expiresAt } = await signUpload('resumable.mp3', tone.length, 60);
      const signature = signatureOf(tusEndpoint!);
      const start = now;
      try {
        const created = await createUpload(service.url, 'podcasts', 'resumable.mp3', tone.length, {}).then(() => undefined);
        expect(created).toBeUndefined();
        const res = await fetch(`${service.url}/uploads?signature=${signature}`, {
          method: 'POST',
          headers: {
            'Tus-Resumable': '1.0.0',
            'Upload-Length': String(tone.length),
            'Upload-Metadata': `directory ${Buffer.from('podcasts').toString('base64')},filename ${Buffer.from('resumable.mp3').toString('base64')}`,
          },
        });
        expect(res.status).toBe(201);
        const location = res.headers.get('location')!;
        const half = Math.floor(tone.length / 2);
        expect((await patchUpload(service.url, location, 0, tone.subarray(0, half))).status).toBe(204);
        now = Date.parse(expiresAt) + (SKEW + 60) * 1000;
        expect((await get('/uploads', signature, { method: 'POST' })).status).toBe(401);
        expect((await headUpload(service.url, location)).headers.get('upload-offset')).toBe(String(half));
        const done = await patchUpload(service.url, location, half, tone.subarray(half));
        expect(done.status).toBe(200);
        expect(await done.json()).toMatchObject({ code: 200, files: [{ directory: 'podcasts', filename: 'resumable.mp3' }] });
      } finally {
        now = start;
      }
    });

    it('refuse a tus creation for another file or longer than max', async () => {
      const { tusEndpoint } = await signUpload('tus-guarded.mp3', 100);
      const create = (filename: string, length: number) =>
        fetch(tusEndpoint!, {
          method: 'POST',
          headers: {
            'Tus-Resumable': '1.0.0',
            'Upload-Length': String(length),
            'Upload-Metadata': `directory ${Buffer.from('podcasts').toString('base64')},filename ${Buffer.from(filename).toString('base64')}`,
          },
        });
      expect((await create('other.mp3', 50)).status).toBe(403);
      expect((await create('tus-guarded.mp3', 101)).status).toBe(413);
      expect((await create('tus-guarded.mp3', 100)).status).toBe(201);
    });
  });
});
