import { copyFile, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { runToEnd, type Ran } from './helpers/process.ts';
import { README_URL, runnableBlocks } from './helpers/readme.ts';

const REPO = new URL('..', import.meta.url).pathname;

function run(file: string, args: string[], cwd: string): Promise<Ran> {
  return runToEnd(file, args, cwd, { PATH: process.env.PATH ?? '' });
}

describe('the README resumable uploads (## Resumable uploads), as written', () => {
  const [client, byHand] = runnableBlocks('## Resumable uploads');
  let service: RunningService | undefined;
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'readme-resumable-'));
    await copyFile(path.join(REPO, 'test/fixtures/tone.mp3'), path.join(dir, 'tone.mp3'));
  });
  afterEach(async () => {
    await service?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('has the tus-js-client example and the curl example', () => {
    expect([client?.lang, byHand?.lang]).toEqual(['ts', 'sh']);
  });

  it('stores tone.mp3 through tus-js-client and prints the POST /media answer', async () => {
    service = await startService({ auth: { tokens: ['s3cret'] } });
    // The client's own project: tus-js-client resolves from the repository's packages.
    await symlink(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
    await writeFile(path.join(dir, 'upload.mts'), client!.body.replaceAll(README_URL, service.url));
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const ran = await run(process.execPath, ['--import', tsx, 'upload.mts'], dir);
    expect(ran.status, ran.stderr).toBe(0);
    expect(JSON.parse(ran.stdout)).toMatchObject({ code: 200, files: [{ directory: 'songs', filename: 'tus.mp3', code: 200 }] });
    expect(await readFile(path.join(service.root, 'songs/tus.mp3'))).toEqual(await readFile(path.join(dir, 'tone.mp3')));
  });

  it('stores tone.mp3 with the two curl commands, the second naming the id the first answered', async () => {
    service = await startService();
    const [create, patch] = byHand!.body.replaceAll(README_URL, service.url).split(/\n(?=curl )/);
    const created = await run('bash', ['-c', create!], dir);
    const id = /^Location: \/uploads\/(\S+)/im.exec(created.stdout)?.[1];
    expect(created.stdout).toMatch(/^HTTP\/1\.1 201/);
    expect(id).toBeDefined();
    const patched = await run('bash', ['-c', patch!.replace('<id>', id!)], dir);
    expect(patched.status, patched.stderr).toBe(0);
    expect(JSON.parse(patched.stdout)).toMatchObject({ code: 200, files: [{ directory: 'songs', filename: 'tus-curl.mp3', code: 200 }] });
    expect(await readFile(path.join(service.root, 'songs/tus-curl.mp3'))).toEqual(await readFile(path.join(dir, 'tone.mp3')));
  });

  it('the two examples write different names, so one session can run both', () => {
    const named = (body: string) => [...body.matchAll(/filename:? ['$(]*(?:printf )?'?([\w.-]+\.mp3)/g)].map((match) => match[1]);
    expect(named(client!.body)).toEqual(['tus.mp3']);
    expect(named(byHand!.body)).toEqual(['tus-curl.mp3']);
  });

  it('the client example, saved as upload.mjs, runs in Node, reports a refusal through onError (exit 1) and keeps the URL in its urlStorage file', async () => {
    service = await startService({ auth: { tokens: ['s3cret'] } });
    await symlink(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
    await writeFile(path.join(dir, 'upload.mjs'), client!.body.replaceAll(README_URL, service.url));
    const first = await run(process.execPath, ['upload.mjs'], dir);
    expect(first.status, first.stderr).toBe(0);
    // Where the upload's URL is kept for a restart: written by the first run.
    expect(Object.keys(JSON.parse(await readFile(path.join(dir, 'tus-uploads.json'), 'utf8')))).toEqual([
      expect.stringContaining('songs/tus.mp3'),
    ]);
    // Run again with the URL kept: the upload is complete, nothing is sent, success again.
    const resumed = await run(process.execPath, ['upload.mjs'], dir);
    expect(resumed.status, resumed.stderr).toBe(0);
    // Without it, a new upload of the same file: the service refuses it (422, code 501); the script says so in one line.
    await rm(path.join(dir, 'tus-uploads.json'));
    const again = await run(process.execPath, ['upload.mjs'], dir);
    expect(again.status).toBe(1);
    // The message, not a crash's stack dump.
    expect(again.stderr).toMatch(/response code: 422.*"code":501/);
    expect(again.stderr).not.toMatch(/\n\s+at /);
  });
});
