import { mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, tempRoot, type RunningService } from '../helpers/app.ts';
import { fixture } from '../helpers/media.ts';
import { BODY_KINDS, upload } from '../helpers/upload.ts';

describe.each(BODY_KINDS)('symlinks under the root, %s upload', (kind) => {
  let service: RunningService;
  let outside: string;
  beforeAll(async () => {
    service = await startService();
    outside = await tempRoot('media-outside-');
    await writeFile(path.join(outside, 'secret.mp3'), fixture('tone.mp3'));
    await symlink(outside, path.join(service.root, 'evil'));
    await symlink(path.join(service.root, 'nowhere'), path.join(service.root, 'dangling'));
    await symlink(path.join(service.root, 'loop-b'), path.join(service.root, 'loop-a'));
    await symlink(path.join(service.root, 'loop-a'), path.join(service.root, 'loop-b'));
    await mkdir(path.join(service.root, 'real'));
    await writeFile(path.join(service.root, 'real', 'plain-file'), 'not a directory');
  });
  afterAll(async () => {
    await service.close();
    await rm(outside, { recursive: true, force: true });
  });

  it('refuses a new directory below a symlink out of the root (400) and creates nothing outside', async () => {
    const res = await upload(service.url, kind, { directory: 'evil/newsub/deeper', filename: 'x.mp3', bytes: fixture('tone.mp3') });
    expect(res.status).toBe(400);
    expect(res.body.reason).toMatch(/outside the storage root/);
    expect(await readdir(outside)).toEqual(['secret.mp3']);
  });

  it.each([
    ['a dangling symlink', 'dangling'],
    ['a dangling symlink, below it', 'dangling/sub'],
    ['a symlink loop', 'loop-a'],
    ['a symlink loop, below it', 'loop-a/sub'],
    ['a file', 'real/plain-file'],
  ])('refuses to upload into %s (400), not 500', async (_label, directory) => {
    const res = await upload(service.url, kind, { directory, filename: 'x.mp3', bytes: fixture('tone.mp3') });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(400);
    expect(await readdir(path.join(service.root, 'real'))).toEqual(['plain-file']);
  });
});

describe('symlinks under the root, reads and deletes', () => {
  let service: RunningService;
  let outside: string;
  beforeAll(async () => {
    service = await startService();
    outside = await tempRoot('media-outside-');
    await writeFile(path.join(outside, 'secret.mp3'), fixture('tone.mp3'));
    await symlink(outside, path.join(service.root, 'evil'));
    await symlink(path.join(service.root, 'nowhere'), path.join(service.root, 'dangling'));
    await symlink(path.join(service.root, 'loop-b'), path.join(service.root, 'loop-a'));
    await symlink(path.join(service.root, 'loop-a'), path.join(service.root, 'loop-b'));
    await mkdir(path.join(service.root, 'd'));
    await symlink(path.join(outside, 'secret.mp3'), path.join(service.root, 'd', 'link.mp3'));
  });
  afterAll(async () => {
    await service.close();
    await rm(outside, { recursive: true, force: true });
  });

  const BROKEN = ['dangling', 'loop-a', 'loop-a/sub', 'dangling/sub'];

  it.each(BROKEN)('answers 404 for a download through %s', async (directory) => {
    const res = await request(service.url).get(`/media/${directory}/x.mp3`);
    expect(res.status).toBe(404);
  });

  it.each(BROKEN)('answers 404 for a listing of %s', async (directory) => {
    const res = await request(service.url).get('/media').query({ directory });
    expect(res.status).toBe(404);
  });

  it.each(BROKEN)('deletes nothing through %s (200, deleted: false)', async (directory) => {
    const res = await request(service.url).delete('/media').query({ directory, filename: 'x.mp3' });
    expect(res.status).toBe(200);
    expect(res.body.deleted).toBe(false);
  });

  it('never reads or removes a file outside the root through a directory symlink', async () => {
    expect((await request(service.url).get('/media/evil/secret.mp3')).status).toBe(400);
    expect((await request(service.url).get('/media').query({ directory: 'evil' })).status).toBe(400);
    expect((await request(service.url).delete('/media').query({ directory: 'evil', filename: 'secret.mp3' })).status).toBe(400);
    expect(await readdir(outside)).toEqual(['secret.mp3']);
  });

  it('never serves a symlink, wherever it points', async () => {
    await mkdir(path.join(service.root, 'albums'));
    await writeFile(path.join(service.root, 'secret.txt'), 'secret');
    await symlink(path.join(service.root, 'secret.txt'), path.join(service.root, 'albums', 'link.mp3'));
    expect((await request(service.url).get('/media/albums/link.mp3')).status).toBe(404);
  });

  it('never removes a symlink named like a media file, nor what it points to', async () => {
    const res = await request(service.url).delete('/media').query({ directory: 'd', filename: 'link.mp3' });
    expect(res.body.deleted).toBe(false);
    expect(await readdir(path.join(service.root, 'd'))).toEqual(['link.mp3']);
    expect(await readdir(outside)).toEqual(['secret.mp3']);
  });
});
