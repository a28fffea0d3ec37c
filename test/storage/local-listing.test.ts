import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from '../helpers/app.ts';
import { fixture } from '../helpers/media.ts';

describe('local backend: listings of a directory that has settled', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService();
  });
  afterAll(() => service.close());

  it('shows files copied in and hides files deleted by hand after the directory was listed from the index', async () => {
    const directory = path.join(service.root, 'by-hand');
    await mkdir(directory);
    await writeFile(path.join(directory, 'first.mp3'), fixture('tone.mp3'));
    // A directory last changed long ago, as most are: its listing is served from what was read.
    const longAgo = new Date(Date.now() - 3_600_000);
    await utimes(directory, longAgo, longAgo);
    const names = async () =>
      (await request(service.url).get('/media').query({ directory: 'by-hand' })).body.files.map((f: { filename: string }) => f.filename);
    expect(await names()).toEqual(['first.mp3']);
    expect(await names()).toEqual(['first.mp3']);
    await writeFile(path.join(directory, 'second.mp3'), fixture('tone.mp3'));
    expect(await names()).toEqual(['first.mp3', 'second.mp3']);
    await rm(path.join(directory, 'first.mp3'));
    expect(await names()).toEqual(['second.mp3']);
  });
});
