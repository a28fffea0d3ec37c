import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { fixture, multipartBody } from './helpers/media.ts';
import { storedFiles } from './helpers/stored.ts';
import { BODY_KINDS, upload } from './helpers/upload.ts';

const MAX_FILE_SIZE = 64 * 1024;

describe('limits', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({ media: { maxFileSize: MAX_FILE_SIZE, maxFiles: 2, maxFields: 3 } });
  });
  afterAll(() => service.close());

  it.each(BODY_KINDS)('answers 413 for a file over media.maxFileSize (%s) and leaves nothing', async (kind) => {
    const res = await upload(service.url, kind, { directory: 'big', filename: 'big.mp3', bytes: fixture('tone-id3.mp3') });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ code: 413 });
    // Judged as the body streams: the decoded file goes over media.maxFileSize first, in both kinds.
    expect(res.body.reason).toBe('file larger than the limit of 65536 bytes (64 KiB, media.maxFileSize)');
    expect(await storedFiles(service.store)).toEqual([]);
  });

  it('accepts a file of exactly media.maxFileSize bytes', async () => {
    const bytes = Buffer.concat([fixture('tone.mp3'), Buffer.alloc(MAX_FILE_SIZE - fixture('tone.mp3').length)]);
    const res = await upload(service.url, 'multipart', { directory: 'edge', filename: 'exact.mp3', bytes });
    expect(res.status).toBe(200);
    expect(res.body.files[0].size).toBe(MAX_FILE_SIZE);
  });

  it('answers 413 when a later file is over the limit and removes the earlier ones', async () => {
    const { body, contentType } = multipartBody([
      { name: 'directory', body: 'partial' },
      { name: 'f', filename: 'small.mp3', body: fixture('tone.mp3') },
      { name: 'f', filename: 'big.mp3', body: fixture('tone-id3.mp3') },
    ]);
    const res = await request(service.url).post('/media').set('Content-Type', contentType).send(body);
    expect(res.status).toBe(413);
    expect((await storedFiles(service.store)).filter((f) => !f.includes('edge'))).toEqual([]);
  });

  it('answers 413 for more files than media.maxFiles and leaves nothing', async () => {
    const parts = ['a', 'b', 'c'].map((n) => ({ name: 'many', filename: `${n}.mp3`, body: fixture('tone.mp3') }));
    const { body, contentType } = multipartBody(parts);
    const res = await request(service.url).post('/media').set('Content-Type', contentType).send(body);
    expect(res.status).toBe(413);
    expect(res.body.reason).toMatch(/media.maxFiles/);
    expect((await storedFiles(service.store)).filter((f) => !f.includes('edge'))).toEqual([]);
  });

  it.each(BODY_KINDS)('answers 413 for more fields than media.maxFields (%s)', async (kind) => {
    const extra = ['x1', 'x2', 'x3', 'x4'];
    let res;
    if (kind === 'urlencoded') {
      res = await request(service.url)
        .post('/media')
        .type('form')
        .send(`${extra.map((x) => `${x}=1`).join('&')}&directory=a&filename=b.mp3&body=c`);
    } else {
      const { body, contentType } = multipartBody([
        ...extra.map((x) => ({ name: x, body: '1' })),
        { name: 'f', filename: 'b.mp3', body: fixture('tone.mp3') },
      ]);
      res = await request(service.url).post('/media').set('Content-Type', contentType).send(body);
    }
    expect(res.status).toBe(413);
    expect(res.body.reason).toMatch(/media.maxFields/);
    expect((await storedFiles(service.store)).filter((f) => !f.includes('edge'))).toEqual([]);
  });

  it('answers 413 for a urlencoded body over the encoded-size limit', async () => {
    // Empty pairs are no fields and decode to nothing: only the encoded-size limit stops them.
    const res = await request(service.url)
      .post('/media')
      .type('form')
      .send(`directory=a&filename=b.mp3&body=c${'&'.repeat(MAX_FILE_SIZE * 3 + 70 * 1024)}`);
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ code: 413, reason: `request body larger than the limit of ${MAX_FILE_SIZE * 3 + 64 * 1024} bytes` });
  });

  it('answers 413 when the decoded urlencoded file is over media.maxFileSize', async () => {
    // Unescaped bytes: the encoded body is within the parser's limit, the decoded file is not.
    const res = await request(service.url)
      .post('/media')
      .type('form')
      .send(`directory=a&filename=b.mp3&body=${'x'.repeat(MAX_FILE_SIZE + 1)}`);
    expect(res.status).toBe(413);
    expect(res.body.reason).toBe('file larger than the limit of 65536 bytes (64 KiB, media.maxFileSize)');
  });

  it('states a limit of whole mebibytes in MiB', async () => {
    const mebibytes = await startService({ media: { maxFileSize: 2 * 1024 * 1024 } });
    try {
      const res = await request(mebibytes.url)
        .post('/media')
        .field('directory', 'big')
        .attach('f', Buffer.alloc(2 * 1024 * 1024 + 1), 'big.mp3');
      expect(res.status).toBe(413);
      expect(res.body.reason).toBe('file larger than the limit of 2097152 bytes (2 MiB, media.maxFileSize)');
    } finally {
      await mebibytes.close();
    }
  });
});
