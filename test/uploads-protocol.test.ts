import { readdir, readFile, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { fixture, sha256, uniqueMp3 } from './helpers/media.ts';
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
import { upload } from './helpers/upload.ts';

const TOKEN = 'tus-secret';
const auth = { Authorization: `Bearer ${TOKEN}` };
const MAX_FILE_SIZE = 2 * 1024 * 1024;

let service: RunningService;

beforeAll(async () => {
  service = await startService({ auth: { tokens: [TOKEN] }, media: { maxFileSize: MAX_FILE_SIZE } });
});
afterAll(() => service.close());

function create(directory: string, filename: string, length: number, headers: Record<string, string> = auth): Promise<Response> {
  return createUpload(service.url, directory, filename, length, headers);
}

function patch(location: string, offset: number, chunk: Buffer, checksum?: string): Promise<Response> {
  return patchUpload(service.url, location, offset, chunk, { ...auth, ...(checksum ? { 'Upload-Checksum': checksum } : {}) });
}

function offsetOf(location: string): Promise<Response> {
  return headUpload(service.url, location, auth);
}

describe('resumable uploads (tus 1.0) at /uploads', () => {
  it('advertises tus 1.0 with the checksum extension and its algorithms', async () => {
    const answer = await fetch(`${service.url}/uploads`, { method: 'OPTIONS' });
    expect(answer.status).toBe(204);
    expect(answer.headers.get('tus-version')).toBe('1.0.0');
    expect(answer.headers.get('tus-extension')!.split(',')).toEqual(
      expect.arrayContaining(['creation', 'creation-with-upload', 'termination', 'expiration', 'checksum']),
    );
    expect(answer.headers.get('tus-checksum-algorithm')!.split(',')).toEqual(expect.arrayContaining(['sha1', 'sha256']));
    expect(answer.headers.get('tus-max-size')).toBe(String(MAX_FILE_SIZE));
    // tus-node-server would allow every origin; CORS is off unless cors.allowedOrigins is set.
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('stores a file uploaded by tus-js-client in chunks and answers as POST /media does', async () => {
    const bytes = largeMp3(600_000);
    const answer = await tusUpload(service.url, bytes, { directory: 'tus', filename: 'whole.mp3', token: TOKEN, chunkSize: 200_000 });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      code: 200,
      reason: 'OK',
      files: [
        {
          directory: 'tus',
          filename: 'whole.mp3',
          size: bytes.length,
          sha256: sha256(bytes),
          contentType: 'audio/mpeg',
          metadata: expect.objectContaining({ codec: expect.stringMatching(/MPEG/), sampleRate: 8000 }),
          code: 200,
          reason: 'OK',
        },
      ],
    });
    expect(sha256(await readFile(path.join(service.root, 'tus', 'whole.mp3')))).toBe(sha256(bytes));
    // The upload's bytes are gone; its record keeps the answer until expiry, so HEAD says it is complete.
    const id = new URL(answer.uploadUrl).pathname.split('/').at(-1)!;
    expect(await resumableLeftovers(service.root)).toEqual([`${id}.json`]);
    expect(await service.store.staged()).toEqual([]);
    const head = await offsetOf(new URL(answer.uploadUrl).pathname);
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-offset')).toBe(String(bytes.length));
  });

  it('stores a file sent whole in the creation request (creation-with-upload)', async () => {
    const bytes = fixture('tone.wav');
    const answer = await fetch(`${service.url}/uploads`, {
      method: 'POST',
      headers: {
        ...TUS_HEADERS,
        ...auth,
        'Upload-Length': String(bytes.length),
        'Upload-Metadata': uploadMetadata('tus', 'at-once.wav'),
        'Content-Type': 'application/offset+octet-stream',
        'Upload-Checksum': checksumHeader('sha256', bytes),
      },
      body: new Uint8Array(bytes),
    });
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { files: Array<{ sha256: string }> }).files[0]!.sha256).toBe(sha256(bytes));
  });

  it('answers 460 to a chunk whose checksum does not match, keeps the offset, then takes the right chunk', async () => {
    const bytes = largeMp3(300_000);
    const created = await create('tus', 'checked.mp3', bytes.length);
    expect(created.status).toBe(201);
    expect(created.headers.get('upload-expires')).toMatch(/GMT$/);
    const location = created.headers.get('location')!;
    const first = bytes.subarray(0, 100_000);
    const firstAnswer = await patch(location, 0, first, checksumHeader('sha1', first));
    expect(firstAnswer.status).toBe(204);
    expect(firstAnswer.headers.get('upload-offset')).toBe('100000');

    const rest = bytes.subarray(100_000);
    const corrupted = Buffer.from(rest);
    corrupted[1000] = corrupted[1000]! ^ 0xff;
    const refused = await patch(location, 100_000, corrupted, checksumHeader('sha256', rest));
    expect(refused.status).toBe(460);
    // The reason phrase the tus checksum extension gives it (Node's own would be "unknown").
    expect(refused.statusText).toBe('Checksum Mismatch');
    expect(await refused.json()).toMatchObject({ code: 460, reason: expect.stringContaining('checksum mismatch') });
    expect((await offsetOf(location)).headers.get('upload-offset')).toBe('100000');
    // The refused chunk's bytes are dropped, not only uncounted.
    const id = location.split('/').at(-1)!;
    expect((await stat(path.join(service.root, '.resumable', `${id}.bin`))).size).toBe(100_000);

    const last = await patch(location, 100_000, rest, checksumHeader('sha256', rest));
    expect(last.status).toBe(200);
    // The sha256 answered is the stored bytes' own: the refused chunk left no trace in it.
    expect(((await last.json()) as { files: Array<{ sha256: string }> }).files[0]!.sha256).toBe(sha256(bytes));
    expect(sha256(await readFile(path.join(service.root, 'tus', 'checked.mp3')))).toBe(sha256(bytes));
  });

  it('refuses an unknown checksum algorithm with 400 and counts nothing', async () => {
    const bytes = fixture('tone.mp3');
    const location = (await create('tus', 'algo.mp3', bytes.length)).headers.get('location')!;
    const answer = await patch(location, 0, bytes, 'crc32 AAAAAA==');
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ code: 400 });
    expect((await offsetOf(location)).headers.get('upload-offset')).toBe('0');
  });

  it('answers 409 with JSON when Upload-Offset is not the upload offset', async () => {
    const bytes = fixture('tone.mp3');
    const location = (await create('tus', 'offset.mp3', bytes.length)).headers.get('location')!;
    const answer = await patch(location, 10, bytes.subarray(10));
    expect(answer.status).toBe(409);
    expect(await answer.json()).toMatchObject({ code: 409 });
  });

  it('drops an incomplete upload on DELETE (termination)', async () => {
    const bytes = largeMp3(200_000);
    const location = (await create('tus', 'dropped.mp3', bytes.length)).headers.get('location')!;
    expect((await patch(location, 0, bytes.subarray(0, 1000))).status).toBe(204);
    const dropped = await fetch(`${service.url}${location}`, { method: 'DELETE', headers: { ...TUS_HEADERS, ...auth } });
    expect(dropped.status).toBe(204);
    expect((await offsetOf(location)).status).toBe(404);
    expect((await resumableLeftovers(service.root)).filter((name) => name.startsWith(location.split('/').at(-1)!))).toEqual([]);
  });

  describe('judges the creation request at once and creates nothing for a refused one', () => {
    const cases: Array<[string, () => Promise<Response>, number, number]> = [
      ['an unsafe name', () => create('../up', 'a.mp3', 100), 400, 400],
      ['an extension not allowed', () => create('tus', 'notes.txt', 100), 415, 504],
      ['Upload-Length over media.maxFileSize', () => create('tus', 'huge.mp3', MAX_FILE_SIZE + 1), 413, 413],
      ['a missing token', () => create('tus', 'anon.mp3', 100, {}), 401, 401],
      ['an empty file', () => create('tus', 'empty.mp3', 0), 400, 502],
    ];
    for (const [what, send, status, code] of cases) {
      it(`${what}: ${status} (code ${code})`, async () => {
        const before = await resumableLeftovers(service.root);
        const answer = await send();
        expect(answer.status).toBe(status);
        expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
        expect(await answer.json()).toMatchObject({ code, reason: expect.any(String) });
        expect(answer.headers.get('location')).toBeNull();
        expect(await resumableLeftovers(service.root)).toEqual(before);
      });
    }

    it('a file that already exists: 422 (code 501), a status tus clients do not retry', async () => {
      const bytes = uniqueMp3('exists');
      expect((await upload(service.url, 'multipart', { directory: 'tus', filename: 'taken.mp3', bytes, token: TOKEN })).status).toBe(200);
      const before = await resumableLeftovers(service.root);
      const answer = await create('tus', 'taken.mp3', 100);
      expect(answer.status).toBe(422);
      expect(await answer.json()).toMatchObject({ code: 501 });
      expect(await resumableLeftovers(service.root)).toEqual(before);
    });

    it('a request without Tus-Resumable: 412 as JSON', async () => {
      const answer = await fetch(`${service.url}/uploads`, { method: 'POST', headers: { ...auth, 'Upload-Length': '10' } });
      expect(answer.status).toBe(412);
      expect(await answer.json()).toMatchObject({ code: 412 });
    });
  });

  it('refuses content that is not audio when the last byte arrives (415, code 504) and keeps nothing', async () => {
    const bytes = Buffer.alloc(50_000, 7);
    const location = (await create('tus', 'noise.mp3', bytes.length)).headers.get('location')!;
    const answer = await patch(location, 0, bytes);
    expect(answer.status).toBe(415);
    expect(await answer.json()).toMatchObject({ code: 504, files: [{ directory: 'tus', filename: 'noise.mp3', code: 504 }] });
    // HEAD of a refused upload answers its refusal, never an offset a client takes for success.
    expect((await offsetOf(location)).status).toBe(415);
    expect(await service.store.staged()).toEqual([]);
    await expect(stat(path.join(service.root, 'tus', 'noise.mp3'))).rejects.toThrow();
  });

  it('lets exactly one of a resumable and a multipart upload to the same path win', async () => {
    const resumable = uniqueMp3('resumable');
    const multipart = uniqueMp3('multipart');
    const location = (await create('race', 'same.mp3', resumable.length)).headers.get('location')!;
    expect((await patch(location, 0, resumable.subarray(0, 1000))).status).toBe(204);
    const [last, posted] = await Promise.all([
      patch(location, 1000, resumable.subarray(1000)),
      upload(service.url, 'multipart', { directory: 'race', filename: 'same.mp3', bytes: multipart, token: TOKEN }),
    ]);
    const lastBody = (await last.json()) as { code: number };
    const codes = [lastBody.code, (posted.body as { code: number }).code].sort();
    expect(codes).toEqual([200, 501]);
    const stored = await readFile(path.join(service.root, 'race', 'same.mp3'));
    expect(stored).toEqual(lastBody.code === 200 ? resumable : multipart);
    expect(await service.store.staged()).toEqual([]);
    expect((await offsetOf(location)).status).toBe(lastBody.code === 200 ? 200 : 422);
  });

  it('counts created and completed uploads and the bytes received in /metrics', async () => {
    const text = await (await fetch(`${service.url}/metrics`)).text();
    expect(Number(/^media_resumable_uploads_created_total (\d+)/m.exec(text)?.[1])).toBeGreaterThan(0);
    expect(text).toMatch(/^media_resumable_uploads_completed_total\{code="200"\} [1-9]/m);
    expect(text).toMatch(/^media_resumable_uploads_completed_total\{code="504"\} [1-9]/m);
    expect(Number(/^media_resumable_bytes_received_total (\d+)/m.exec(text)?.[1])).toBeGreaterThan(600_000);
  });
});

describe('expiry of resumable uploads', () => {
  let short: RunningService;
  beforeAll(async () => {
    short = await startService({ uploads: { expireAfterMs: 1000, sweepIntervalMs: 1000 } });
  });
  afterAll(() => short.close());

  it('answers 410 once an upload expired, then 404 when the sweep removed it, and counts it', async () => {
    const bytes = largeMp3(100_000);
    const created = await createUpload(short.url, 'exp', 'late.mp3', bytes.length);
    const expires = Date.parse(created.headers.get('upload-expires')!);
    expect(expires - Date.now()).toBeLessThanOrEqual(1000);
    const location = created.headers.get('location')!;
    const head = () => headUpload(short.url, location);
    const statuses = new Set<number>();
    // Bounded: expiry after 1 s, a sweep every second.
    for (let i = 0; i < 100 && !statuses.has(404); i++) {
      statuses.add((await head()).status);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(statuses).toContain(410);
    expect(statuses).toContain(404);
    expect(await resumableLeftovers(short.root)).toEqual([]);
    const text = await (await fetch(`${short.url}/metrics`)).text();
    expect(text).toMatch(/^media_resumable_uploads_expired_total [1-9]/m);
  });
});

describe('the temp sweep and resumable uploads', () => {
  let swept: RunningService;
  beforeAll(async () => {
    // idleTimeoutMs bounds tempMaxAgeMs from below; 3 s leaves the final PATCH's publish time to answer on a loaded machine.
    swept = await startService({ server: { idleTimeoutMs: 3000 }, storage: { tempMaxAgeMs: 3000, sweepIntervalMs: 1000 } });
  });
  afterAll(() => swept.close());

  it('never removes the bytes of a paused resumable upload', async () => {
    const bytes = largeMp3(300_000);
    const send = (location: string, offset: number, chunk: Buffer) => patchUpload(swept.url, location, offset, chunk);
    const created = await createUpload(swept.url, 'paused', 'long.mp3', bytes.length);
    const location = created.headers.get('location')!;
    expect((await send(location, 0, bytes.subarray(0, 100_000))).status).toBe(204);
    // Every file of the root made an hour old, far past storage.tempMaxAgeMs, then swept as the
    // timed sweep and the start-up sweep do.
    const anHourAgo = new Date(Date.now() - 3_600_000);
    for (const name of await readdir(swept.root, { recursive: true })) await utimes(path.join(swept.root, name), anHourAgo, anHourAgo);
    const sweep = (atStart: boolean) => (swept.store as unknown as { sweep(atStart: boolean): Promise<number> }).sweep(atStart);
    await sweep(false);
    await sweep(true);
    const last = await send(location, 100_000, bytes.subarray(100_000));
    expect(last.status).toBe(200);
    expect(sha256(await readFile(path.join(swept.root, 'paused', 'long.mp3')))).toBe(sha256(bytes));
  });
});

describe('CORS for browsers on other origins (cors.allowedOrigins)', () => {
  const ORIGIN = 'http://app.example:3000';
  let withCors: RunningService;
  beforeAll(async () => {
    withCors = await startService({ cors: { allowedOrigins: [ORIGIN] } });
  });
  afterAll(() => withCors.close());

  const preflight = (route: string, origin: string, method: string) =>
    fetch(`${withCors.url}${route}`, {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': method,
        'Access-Control-Request-Headers': 'tus-resumable,upload-offset,authorization',
      },
    });

  it('answers the preflight of /uploads and /media for a listed origin', async () => {
    for (const [route, method] of [
      ['/uploads', 'POST'],
      ['/uploads/0123456789abcdef0123456789abcdef', 'PATCH'],
      ['/media', 'POST'],
    ] as const) {
      const answer = await preflight(route, ORIGIN, method);
      expect(answer.status, route).toBe(204);
      expect(answer.headers.get('access-control-allow-origin'), route).toBe(ORIGIN);
      expect(answer.headers.get('access-control-allow-methods'), route).toContain(method);
      expect(answer.headers.get('access-control-allow-headers')!.toLowerCase(), route).toContain('upload-offset');
    }
  });

  it('exposes the tus headers a browser client reads, and only to a listed origin', async () => {
    const bytes = fixture('tone.mp3');
    const created = await fetch(`${withCors.url}/uploads`, {
      method: 'POST',
      headers: {
        ...TUS_HEADERS,
        Origin: ORIGIN,
        'Upload-Length': String(bytes.length),
        'Upload-Metadata': uploadMetadata('cors', 'a.mp3'),
      },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const exposed = created.headers.get('access-control-expose-headers')!.split(/,\s*/);
    expect(exposed).toEqual(
      expect.arrayContaining([
        'Location',
        'Upload-Offset',
        'Upload-Length',
        'Upload-Expires',
        'Tus-Resumable',
        'Tus-Version',
        'Tus-Extension',
      ]),
    );
    const stranger = await fetch(`${withCors.url}/uploads`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
  });
});
