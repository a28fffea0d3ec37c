import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetailedError } from 'tus-js-client';
import { startService, type RunningService } from './helpers/app.ts';
import { fixture, uniqueMp3 } from './helpers/media.ts';
import { checksumHeader, createUpload, largeMp3, patchUpload, tusUpload } from './helpers/tus.ts';
import { upload } from './helpers/upload.ts';

const TOKEN = 'legacy-token';
const auth = { Authorization: `Bearer ${TOKEN}` };

// Legacy mode answers HTTP 200 for every /media answer. /uploads keeps its statuses in both
// modes: its clients are tus clients, which decide success, retry and failure by the status.
describe("/uploads with media.statusMode 'legacy'", () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({ media: { statusMode: 'legacy', maxFileSize: 1_000_000 }, auth: { tokens: [TOKEN] } });
  });
  afterAll(() => service.close());

  const create = (directory: string, filename: string, length: number, headers: Record<string, string> = auth) =>
    createUpload(service.url, directory, filename, length, headers);

  const patch = (location: string, offset: number, chunk: Buffer, extra: Record<string, string> = {}) =>
    patchUpload(service.url, location, offset, chunk, { ...auth, ...extra });

  it('is in legacy mode: POST /media answers a refusal with HTTP 200', async () => {
    const answer = await upload(service.url, 'multipart', {
      directory: 'legacy',
      filename: 'noise.mp3',
      bytes: Buffer.alloc(5000, 7),
      token: TOKEN,
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ code: 504 });
  });

  it.each([
    ['an extension not allowed', () => create('legacy', 'notes.txt', 100), 415, 504],
    ['an unsafe name', () => create('../up', 'a.mp3', 100), 400, 400],
    ['Upload-Length over media.maxFileSize', () => create('legacy', 'huge.mp3', 2_000_000), 413, 413],
    ['a missing token', () => create('legacy', 'anon.mp3', 100, {}), 401, 401],
  ] as const)('keeps the HTTP status of a refused creation: %s', async (_what, send, status, code) => {
    const answer = await send();
    expect(answer.status).toBe(status);
    expect(await answer.json()).toMatchObject({ code });
    expect(answer.headers.get('location')).toBeNull();
  });

  it('keeps 422 (code 501) for a creation whose file exists', async () => {
    expect(
      (await upload(service.url, 'multipart', { directory: 'legacy', filename: 'taken.mp3', bytes: uniqueMp3('taken'), token: TOKEN }))
        .status,
    ).toBe(200);
    const answer = await create('legacy', 'taken.mp3', 100);
    expect(answer.status).toBe(422);
    expect(await answer.json()).toMatchObject({ code: 501 });
  });

  it('keeps the protocol statuses: 201, 204, 409 offset, 460 checksum, 404 unknown upload', async () => {
    const bytes = largeMp3(100_000);
    const created = await create('legacy', 'protocol.mp3', bytes.length);
    expect(created.status).toBe(201);
    const location = created.headers.get('location')!;
    expect((await patch(location, 0, bytes.subarray(0, 1000))).status).toBe(204);
    expect((await patch(location, 5, bytes.subarray(5, 10))).status).toBe(409);
    const mismatch = await patch(location, 1000, bytes.subarray(1000, 2000), {
      'Upload-Checksum': checksumHeader('sha1', bytes.subarray(0, 1000)),
    });
    expect(mismatch.status).toBe(460);
    expect(await mismatch.json()).toMatchObject({ code: 460 });
    const unknown = await patch('/uploads/0123456789abcdef0123456789abcdef', 0, bytes.subarray(0, 10));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 404 });
  });

  it('answers a file refused at the last byte with 415 (code 504), so tus-js-client reports a failure, not a success', async () => {
    const failure = await tusUpload(service.url, Buffer.alloc(50_000, 7), {
      directory: 'legacy',
      filename: 'refused.mp3',
      token: TOKEN,
    }).then(
      () => undefined,
      (error: DetailedError) => error,
    );
    expect(failure?.originalResponse?.getStatus()).toBe(415);
    expect(JSON.parse(failure!.originalResponse!.getBody())).toMatchObject({ code: 504, files: [{ filename: 'refused.mp3', code: 504 }] });
  });

  it('answers a stored file with 200 and the JSON of POST /media', async () => {
    const bytes = fixture('tone.wav');
    const answer = await tusUpload(service.url, bytes, { directory: 'legacy', filename: 'stored.wav', token: TOKEN });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ code: 200, files: [{ filename: 'stored.wav', size: bytes.length, contentType: 'audio/wav' }] });
  });
});
