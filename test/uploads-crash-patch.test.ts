import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { RgwEndpoint } from './helpers/ceph-rgw.ts';
import { tempRoot } from './helpers/app.ts';
import { sha256 } from './helpers/media.ts';
import { exitOf, startServiceProcess, type ServiceProcess } from './helpers/process.ts';
import { freshBucket, s3Client } from './helpers/s3.ts';
import { s3Env } from './helpers/s3-service.ts';
import { checksumHeader, createUpload, headUpload, largeMp3, patchUpload, openPatch } from './helpers/tus.ts';
import { waitFor } from './helpers/wait.ts';

const MiB = 1024 * 1024;
/** Two service starts and 24 MiB sent about twice, on two shared cores. */
const TIMEOUT_MS = 120_000;
const running: ServiceProcess[] = [];
const roots: string[] = [];
afterAll(async () => {
  await Promise.all(running.map((service) => service.stop('SIGKILL')));
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

async function start(root: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
  const service = await startServiceProcess({ ...env, UPLOAD_DIR: root }, 60_000);
  running.push(service);
  return service;
}

/** The offset the upload's record on disk says now (0 before it exists). */
async function recordedOffset(root: string, id: string): Promise<number> {
  const text = await readFile(path.join(root, '.resumable', `${id}.json`), 'utf8').catch(() => '{"offset":0}');
  return (JSON.parse(text) as { offset: number }).offset;
}

/**
 * Sends the first `sent` bytes of a PATCH of all of `bytes` (as tus-js-client sends a whole file in
 * one PATCH), then SIGKILLs the service once `killWhen` says so.
 */
async function killMidPatch(
  service: ServiceProcess,
  location: string,
  bytes: Buffer,
  sent: number,
  headers: Record<string, string>,
  killWhen: () => Promise<boolean>,
) {
  const request = openPatch(`${service.url}${location}`, { length: bytes.length, headers });
  request.on('error', () => undefined);
  for (let at = 0; at < sent; at += MiB) request.write(bytes.subarray(at, Math.min(at + MiB, sent)));
  await waitFor('the moment to kill the service', killWhen, 20_000, 10);
  service.child.kill('SIGKILL');
  await exitOf(service.child);
  request.destroy();
}

describe('a crash of the service in the middle of a large PATCH', { timeout: TIMEOUT_MS }, () => {
  it('keeps the prefix written of a chunk without Upload-Checksum, reports it after the restart, and the upload completes from there', async () => {
    const root = await tempRoot();
    roots.push(root);
    const bytes = largeMp3(24 * MiB);
    const crashing = await start(root);
    const location = (await createUpload(crashing.url, 'crash', 'patch.mp3', bytes.length)).headers.get('location')!;
    const id = location.split('/').at(-1)!;
    // The marker: the service says (in the record) that 6 MiB are durable, then it dies.
    await killMidPatch(crashing, location, bytes, 12 * MiB, {}, async () => (await recordedOffset(root, id)) >= 6 * MiB);
    const durable = await recordedOffset(root, id);
    expect(durable).toBeGreaterThanOrEqual(6 * MiB);

    // The dead process still holds the upload's lock: with a short lockTimeoutMs, a HEAD that had to
    // wait for it to go stale would answer 423.
    const configFile = path.join(root, 'short-lock.json');
    await writeFile(configFile, JSON.stringify({ uploads: { lockTimeoutMs: 500 } }));
    const restarted = await start(root, { CONFIG_FILE: configFile });
    const head = await headUpload(restarted.url, location);
    expect(head.status).toBe(200);
    const offset = Number(head.headers.get('upload-offset'));
    expect(offset).toBe(durable);
    expect(offset).toBeLessThanOrEqual(12 * MiB);
    const rest = await patchUpload(restarted.url, location, offset, bytes.subarray(offset));
    expect(rest.status).toBe(200);
    expect(await rest.json()).toMatchObject({ code: 200, files: [{ size: bytes.length, sha256: sha256(bytes) }] });
  });

  it('records every 2 MiB that reached the file even when the sender stops sending while a step of the record is under way', async () => {
    const root = await tempRoot();
    roots.push(root);
    const bytes = largeMp3(24 * MiB);
    // Each step of the record waits at its start until told to go on (SIGUSR2).
    const crashing = await start(root, { MEDIA_PAUSE_POINT: 'progress-step' });
    const location = (await createUpload(crashing.url, 'crash', 'stalled.mp3', bytes.length)).headers.get('location')!;
    const id = location.split('/').at(-1)!;
    const data = path.join(root, '.resumable', `${id}.bin`);
    const pauses = () => crashing.output().split('paused at progress-step').length - 1;
    const request = openPatch(`${crashing.url}${location}`, { length: bytes.length, headers: {} });
    request.on('error', () => undefined);
    request.write(bytes.subarray(0, 12 * MiB));
    // The first step is held while all 12 MiB reach the file; then the sender sends nothing more.
    await waitFor('the first step held', async () => pauses() === 1, 20_000, 10);
    await waitFor('12 MiB in the file', async () => ((await stat(data).catch(() => undefined))?.size ?? 0) >= 12 * MiB, 20_000, 10);
    crashing.child.kill('SIGUSR2');
    // The bytes written during the first step start a second one without any more arriving.
    await waitFor('a second step', async () => pauses() === 2, 20_000, 10);
    crashing.child.kill('SIGUSR2');
    await waitFor('the record at 12 MiB', async () => (await recordedOffset(root, id)) === 12 * MiB, 20_000, 10);
    crashing.child.kill('SIGKILL');
    await exitOf(crashing.child);
    request.destroy();

    const restarted = await start(root);
    const head = await headUpload(restarted.url, location);
    expect(head.headers.get('upload-offset')).toBe(String(12 * MiB));
    const rest = await patchUpload(restarted.url, location, 12 * MiB, bytes.subarray(12 * MiB));
    expect(await rest.json()).toMatchObject({ code: 200, files: [{ size: bytes.length, sha256: sha256(bytes) }] });
  });

  it('drops the partial chunk sent with Upload-Checksum (it cannot be verified in part)', async () => {
    const root = await tempRoot();
    roots.push(root);
    const bytes = largeMp3(24 * MiB);
    const crashing = await start(root);
    const location = (await createUpload(crashing.url, 'crash', 'checked.mp3', bytes.length)).headers.get('location')!;
    const data = path.join(root, '.resumable', `${location.split('/').at(-1)}.bin`);
    const onDisk = async () => ((await stat(data).catch(() => undefined))?.size ?? 0) >= 11 * MiB;
    await killMidPatch(crashing, location, bytes, 12 * MiB, { 'Upload-Checksum': checksumHeader('sha256', bytes) }, onDisk);

    const restarted = await start(root);
    const head = await headUpload(restarted.url, location);
    expect(head.headers.get('upload-offset')).toBe('0');
    const whole = await patchUpload(restarted.url, location, 0, bytes, { 'Upload-Checksum': checksumHeader('sha256', bytes) });
    expect(whole.status).toBe(200);
    expect(await whole.json()).toMatchObject({ code: 200, files: [{ sha256: sha256(bytes) }] });
  });

  it('on backend s3, keeps the parts of a chunk without Upload-Checksum that were up, and the upload completes from there', async () => {
    const rgw = inject('rgw');
    const bucket = await freshBucket(rgw);
    const env = s3Env(rgw, bucket);
    const root = await tempRoot();
    roots.push(root);
    const bytes = largeMp3(24 * MiB);
    const crashing = await start(root, env);
    const location = (await createUpload(crashing.url, 'crash', 's3.mp3', bytes.length)).headers.get('location')!;
    const id = location.split('/').at(-1)!;
    // The marker: the record in the bucket names the first part (16 MiB: the upload is sent in place), then the service dies.
    await killMidPatch(crashing, location, bytes, 20 * MiB, {}, async () => (await bucketOffset(rgw, bucket, id)) >= 8 * MiB);
    const durable = await bucketOffset(rgw, bucket, id);
    expect(durable).toBeGreaterThanOrEqual(8 * MiB);

    const restarted = await start(root, env);
    const head = await headUpload(restarted.url, location);
    const offset = Number(head.headers.get('upload-offset'));
    expect(offset).toBe(durable);
    const rest = await patchUpload(restarted.url, location, offset, bytes.subarray(offset));
    expect(rest.status).toBe(200);
    expect(await rest.json()).toMatchObject({ code: 200, files: [{ size: bytes.length, sha256: sha256(bytes) }] });
  });
});

/** The offset the upload's record in the bucket says now (0 before it exists). */
async function bucketOffset(rgw: RgwEndpoint, bucket: string, id: string): Promise<number> {
  const client = s3Client(rgw);
  try {
    const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `.resumable/${id}/info.json` }));
    return (JSON.parse(await answer.Body!.transformToString()) as { offset: number }).offset;
  } catch {
    return 0;
  } finally {
    client.destroy();
  }
}
