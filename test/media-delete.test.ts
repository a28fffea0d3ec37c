import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { fixture } from './helpers/media.ts';
import { storedFiles } from './helpers/stored.ts';
import { upload } from './helpers/upload.ts';

describe('DELETE /media', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService();
  });
  afterAll(() => service.close());

  it('deletes by query string and answers deleted: true, then deleted: false', async () => {
    await upload(service.url, 'multipart', { directory: 'd', filename: 'q.mp3', bytes: fixture('tone.mp3') });
    const first = await request(service.url).delete('/media').query({ directory: 'd', filename: 'q.mp3' });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ code: 200, reason: 'OK', directory: 'd', filename: 'q.mp3', deleted: true });
    expect(await storedFiles(service.store)).not.toContain('d/q.mp3');
    expect((await request(service.url).get('/media/d/q.mp3')).status).toBe(404);
    const again = await request(service.url).delete('/media').query({ directory: 'd', filename: 'q.mp3' });
    expect(again.body).toMatchObject({ code: 200, deleted: false });
  });

  it('deletes by urlencoded body, UTF-8 names included', async () => {
    await upload(service.url, 'urlencoded', { directory: '歌', filename: '歌曲.mp3', bytes: fixture('tone.mp3') });
    const res = await request(service.url).delete('/media').type('form').send({ directory: '歌', filename: '歌曲.mp3' });
    expect(res.body).toMatchObject({ code: 200, deleted: true });
  });

  it('answers deleted: false for an absent directory', async () => {
    const res = await request(service.url).delete('/media').query({ directory: 'never', filename: 'x.mp3' });
    expect(res.body).toMatchObject({ code: 200, deleted: false });
  });

  it.each([
    [{ filename: 'x.mp3' }, 503],
    [{ directory: 'd' }, 503],
    [{ directory: '../d', filename: 'x.mp3' }, 400],
    [{ directory: 'd', filename: '../../x.mp3' }, 400],
    [{ directory: '.incoming', filename: 'x.part' }, 400],
  ])('refuses %o with code %i', async (query, code) => {
    const res = await request(service.url).delete('/media').query(query);
    expect(res.body.code).toBe(code);
    expect(res.status).toBe(400);
  });

  it('refuses a directory given twice in the query (400)', async () => {
    const res = await request(service.url).delete('/media?directory=a&directory=b&filename=x.mp3');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(400);
  });
});
