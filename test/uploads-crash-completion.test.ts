import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { tempRoot } from './helpers/app.ts';
import { sha256 } from './helpers/media.ts';
import { exitOf, startServiceProcess, type ServiceProcess } from './helpers/process.ts';
import { freshBucket } from './helpers/s3.ts';
import { s3Env } from './helpers/s3-service.ts';
import { createUpload, headUpload, largeMp3, patchUpload, TUS_HEADERS } from './helpers/tus.ts';
import { waitFor } from './helpers/wait.ts';

/** The steps of a resumable upload's completion where a test can make the service kill itself (src/runtime/fault-points.ts). */
const STEPS = ['received', 'completing', 'staged', 'committed'] as const;
const BACKENDS = ['local', 's3'] as const;
/** Each test starts the service twice (tsx compiles it at every start). */
const TIMEOUT_MS = 60_000;

const running: ServiceProcess[] = [];
const roots: string[] = [];
afterAll(async () => {
  await Promise.all(running.map((service) => service.stop('SIGKILL')));
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

/** The environment of a service on `backend` whose state survives its restarts (a root, a bucket), with uploads.lockTimeoutMs `lockTimeoutMs`. */
async function serviceEnv(backend: (typeof BACKENDS)[number], lockTimeoutMs = 20_000): Promise<Record<string, string>> {
  const root = await tempRoot();
  roots.push(root);
  const configFile = path.join(root, 'config.json');
  await writeFile(configFile, JSON.stringify({ uploads: { lockTimeoutMs } }));
  const s3 = backend === 's3' ? s3Env(inject('rgw'), await freshBucket(inject('rgw'))) : {};
  return { ...s3, UPLOAD_DIR: path.join(root, 'media'), CONFIG_FILE: configFile };
}

async function start(env: Record<string, string>): Promise<ServiceProcess> {
  const service = await startServiceProcess(env, 60_000);
  running.push(service);
  return service;
}

async function storedSha256(url: string, file: string): Promise<string | undefined> {
  const answer = await fetch(`${url}/media/${file}`);
  return answer.status === 200 ? sha256(Buffer.from(await answer.arrayBuffer())) : undefined;
}

describe.each(BACKENDS)('a crash during the completion of a resumable upload (backend %s)', { timeout: TIMEOUT_MS }, (backend) => {
  it.each(STEPS)('killed at "%s": after the restart HEAD reports the file stored only once it is, and it is', async (step) => {
    const env = await serviceEnv(backend);
    const bytes = largeMp3(300_000);
    const crashing = await start({ ...env, MEDIA_FAULT_POINT: step });
    const location = (await createUpload(crashing.url, 'crash', `${step}.mp3`, bytes.length)).headers.get('location')!;
    const final = await patchUpload(crashing.url, location, 0, bytes).then(
      (answer) => answer.status,
      () => 'connection lost',
    );
    expect(final).toBe('connection lost');
    await exitOf(crashing.child);
    expect(crashing.child.signalCode).toBe('SIGKILL');

    const restarted = await start(env);
    const head = await headUpload(restarted.url, location);
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-offset')).toBe(String(bytes.length));
    expect(await storedSha256(restarted.url, `crash/${step}.mp3`)).toBe(sha256(bytes));
    // The client that repeats the final PATCH (nothing left to send) gets POST /media's answer.
    const repeated = await patchUpload(restarted.url, location, bytes.length, Buffer.alloc(0));
    expect(repeated.status).toBe(200);
    expect(await repeated.json()).toMatchObject({
      code: 200,
      files: [{ directory: 'crash', filename: `${step}.mp3`, sha256: sha256(bytes) }],
    });
    await restarted.stop();
  });

  it('completes an upload a crash left after staging at start-up, with no request for it', async () => {
    const env = await serviceEnv(backend);
    const bytes = largeMp3(200_000);
    const crashing = await start({ ...env, MEDIA_FAULT_POINT: 'staged' });
    const location = (await createUpload(crashing.url, 'recover', 'a.mp3', bytes.length)).headers.get('location')!;
    await patchUpload(crashing.url, location, 0, bytes).catch(() => undefined);
    await exitOf(crashing.child);

    const restarted = await start(env);
    await waitFor(
      'the start-up recovery to store the file',
      async () => (await storedSha256(restarted.url, 'recover/a.mp3')) === sha256(bytes),
      10_000,
      100,
    );
    const head = await headUpload(restarted.url, location);
    expect(head.headers.get('upload-offset')).toBe(String(bytes.length));
    await restarted.stop();
  });
});

describe.each(BACKENDS)('requests during the publish of a resumable upload (backend %s)', { timeout: TIMEOUT_MS }, (backend) => {
  it('tells a resuming client success only once the file is stored, and a DELETE never removes a stored upload', async () => {
    const env = await serviceEnv(backend, 500);
    const service = await start({ ...env, MEDIA_PAUSE_POINT: 'staged' });
    const bytes = largeMp3(300_000);
    const location = (await createUpload(service.url, 'race', 'a.mp3', bytes.length)).headers.get('location')!;
    expect((await patchUpload(service.url, location, 0, bytes.subarray(0, 100_000))).status).toBe(204);
    // The final PATCH, whose client gives up while the publish runs (a dropped or timed-out request).
    const gaveUp = new AbortController();
    const final = fetch(`${service.url}${location}`, {
      method: 'PATCH',
      headers: { ...TUS_HEADERS, 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': '100000' },
      body: new Uint8Array(bytes.subarray(100_000)),
      signal: gaveUp.signal,
    }).catch(() => 'aborted');
    await waitFor('the publish to pause', () => service.output().includes('paused at staged'), 10_000);
    gaveUp.abort();
    expect(await final).toBe('aborted');

    // The publish holds the upload: the resuming client's HEAD and a DELETE wait, then 423 (retry).
    const head = await headUpload(service.url, location);
    expect(head.status).toBe(423);
    expect(head.headers.get('upload-offset')).toBeNull();
    const deleted = await fetch(`${service.url}${location}`, { method: 'DELETE', headers: TUS_HEADERS });
    expect(deleted.status).toBe(423);
    expect(await storedSha256(service.url, 'race/a.mp3')).toBeUndefined();

    service.child.kill('SIGUSR2');
    await waitFor('the file to be stored', async () => (await storedSha256(service.url, 'race/a.mp3')) === sha256(bytes), 10_000, 50);
    const resumed = await headUpload(service.url, location);
    expect(resumed.status).toBe(200);
    expect(resumed.headers.get('upload-offset')).toBe(String(bytes.length));
    // A stored upload is not terminated: a 204 would say nothing was kept.
    const late = await fetch(`${service.url}${location}`, { method: 'DELETE', headers: TUS_HEADERS });
    expect(late.status).toBe(400);
    expect(await late.json()).toMatchObject({ code: 400, reason: expect.stringContaining('stored') });
    expect(await storedSha256(service.url, 'race/a.mp3')).toBe(sha256(bytes));
  });

  it('answers the final PATCH with the stored file when a HEAD waited for its publish', async () => {
    const env = await serviceEnv(backend);
    const service = await start({ ...env, MEDIA_PAUSE_POINT: 'staged' });
    const bytes = largeMp3(300_000);
    const location = (await createUpload(service.url, 'race', 'b.mp3', bytes.length)).headers.get('location')!;
    const final = patchUpload(service.url, location, 0, bytes);
    await waitFor('the publish to pause', () => service.output().includes('paused at staged'), 10_000);
    const head = headUpload(service.url, location);
    const deleted = fetch(`${service.url}${location}`, { method: 'DELETE', headers: TUS_HEADERS });
    service.child.kill('SIGUSR2');
    const answer = await final;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ code: 200, files: [{ filename: 'b.mp3', sha256: sha256(bytes) }] });
    expect((await head).headers.get('upload-offset')).toBe(String(bytes.length));
    expect((await deleted).status).toBe(400);
    expect(await storedSha256(service.url, 'race/b.mp3')).toBe(sha256(bytes));
  });
});
