import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand, ListMultipartUploadsCommand, ListPartsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BucketUploadInfo } from '../src/uploads/s3/bucket-upload-info.ts';
import { startService, type RunningService } from './helpers/app.ts';
import { sha256 } from './helpers/media.ts';
import { s3Client } from './helpers/s3.ts';
import { s3Backend } from './helpers/s3-service.ts';
import { checksumHeader, createUpload, headUpload, largeMp3, patchUpload, openPatch } from './helpers/tus.ts';
import { resumableKeys } from './helpers/tus-s3.ts';
import { startBucketHosts } from './helpers/bucket-hosts.ts';

const MiB = 1024 ** 2;
const PART = 5 * MiB;

// PATCHes whose whole parts stream into the bucket as they arrive, cut or refused part-way, over
// real HTTP: two services share one bucket of the run's Ceph RADOS Gateway as two hosts.
describe('PATCHes streamed into the bucket, cut or refused part-way', () => {
  const rgw = inject('rgw');
  const client = s3Client(rgw);
  let bucket: string;
  let hosts: RunningService[] = [];

  beforeAll(async () => {
    ({ bucket, hosts } = await startBucketHosts(rgw, { partSize: PART }));
  });
  afterAll(async () => {
    await Promise.all(hosts.map((host) => host.close()));
    client.destroy();
  });

  const url = (i: number) => hosts[i]!.url;
  const idOf = (location: string) => location.split('/').at(-1)!;
  const recordOf = async (location: string) => {
    const read = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `.resumable/${idOf(location)}/info.json` }));
    return JSON.parse(await read.Body!.transformToString()) as BucketUploadInfo;
  };
  const partsOf = async (location: string) => {
    const { multipart } = (await recordOf(location)).inPlace!;
    const listed = await client.send(
      new ListPartsCommand({ Bucket: bucket, Key: `cut/${multipart!.key.name}`, UploadId: multipart!.uploadId }),
    );
    return (listed.Parts ?? []).map((part) => [part.PartNumber, part.Size]);
  };
  const pendingOf = async (name: string) =>
    ((await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).filter(
      (upload) => upload.Key === `cut/${name}`,
    );
  const stored = async (name: string) =>
    Buffer.from(await (await client.send(new GetObjectCommand({ Bucket: bucket, Key: `cut/${name}` }))).Body!.transformToByteArray());

  it('resumes on the other host at the last counted part after the client dropped a PATCH inside a streamed part', async () => {
    const bytes = largeMp3(3 * PART + 1000);
    const location = (await createUpload(url(0), 'cut', 'dropped.mp3', bytes.length)).headers.get('location')!;
    // One PATCH declaring the whole file; its client sends the first part and 2 MiB of the second, then drops the connection.
    const request = openPatch(`${url(0)}${location}`, { length: bytes.length });
    request.on('error', () => undefined);
    request.write(bytes.subarray(0, PART + 2 * MiB));
    // Once the first part counts (the record names it), the second one is on its way.
    await expect.poll(async () => (await recordOf(location)).offset, { timeout: 15_000, interval: 100 }).toBe(PART);
    const closed = new Promise((resolve) => request.once('close', resolve));
    request.destroy();
    await closed;

    // The first host has unwound once its lock is free again (HEAD takes it).
    await expect.poll(async () => (await headUpload(url(0), location)).status, { timeout: 15_000, interval: 100 }).toBe(200);
    expect((await headUpload(url(1), location)).headers.get('upload-offset')).toBe(String(PART));
    const record = await recordOf(location);
    expect(record.inPlace!.parts).toHaveLength(1);
    expect(record.inPlace!.incomplete).toBeUndefined();
    expect(await partsOf(location)).toEqual([[1, PART]]);

    const last = await patchUpload(url(1), location, PART, bytes.subarray(PART));
    expect(last.status).toBe(200);
    expect(await last.json()).toMatchObject({ code: 200, files: [{ filename: 'dropped.mp3', size: bytes.length, sha256: sha256(bytes) }] });
    expect((await stored('dropped.mp3')).equals(bytes)).toBe(true);
    expect(await pendingOf('dropped.mp3')).toEqual([]);
    expect(await resumableKeys(rgw, bucket)).toContain(`.resumable/${idOf(location)}/info.json`);
    expect((await resumableKeys(rgw, bucket)).filter((key) => key.includes(idOf(location)))).toHaveLength(1);
  });

  it('counts none of a chunk of several streamed parts whose Upload-Checksum does not match (460), then takes it whole', async () => {
    const bytes = largeMp3(4 * PART + 1000);
    const location = (await createUpload(url(1), 'cut', 'checked.mp3', bytes.length)).headers.get('location')!;
    expect((await patchUpload(url(1), location, 0, bytes.subarray(0, PART))).status).toBe(204);
    // Two whole parts streamed, and a tail under S3's smallest part that would wait.
    const chunk = bytes.subarray(PART, 3 * PART + MiB);
    const corrupted = Buffer.from(chunk);
    corrupted[PART + 10] = corrupted[PART + 10]! ^ 1;
    const checksum = { 'Upload-Checksum': checksumHeader('sha256', chunk) };
    const refused = await patchUpload(url(0), location, PART, corrupted, checksum);
    expect(refused.status).toBe(460);
    expect((await headUpload(url(1), location)).headers.get('upload-offset')).toBe(String(PART));
    const record = await recordOf(location);
    expect(record.inPlace!.parts).toHaveLength(1);
    expect(record.inPlace!.incomplete).toBeUndefined();

    expect((await patchUpload(url(0), location, PART, chunk, checksum)).status).toBe(204);
    expect((await headUpload(url(1), location)).headers.get('upload-offset')).toBe(String(3 * PART + MiB));
    const last = await patchUpload(url(1), location, 3 * PART + MiB, bytes.subarray(3 * PART + MiB));
    expect(await last.json()).toMatchObject({ code: 200, files: [{ filename: 'checked.mp3', sha256: sha256(bytes) }] });
    expect((await stored('checked.mp3')).equals(bytes)).toBe(true);
    expect(await pendingOf('checked.mp3')).toEqual([]);
  });

  it('cuts a streamed part whose gateway stops taking its bytes (503, code 505); the offset stays, and the upload completes later', async () => {
    // A relay in front of the gateway that, while frozen, stops reading part 2's body after 1 MiB.
    let frozen = true;
    const held: http.IncomingMessage[] = [];
    const relay = http.createServer((req, res) => {
      const forward = http.request(`${rgw.endpoint}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      forward.on('error', () => res.destroy());
      if (!(frozen && req.method === 'PUT' && /[?&]partNumber=2(&|$)/.test(req.url ?? ''))) return void req.pipe(forward);
      held.push(req);
      let passed = 0;
      req.on('data', (chunk: Buffer) => {
        passed += chunk.length;
        forward.write(chunk);
        if (passed >= MiB) req.pause();
      });
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const { port } = relay.address() as AddressInfo;
    const slow = await startService(
      s3Backend({ ...rgw, endpoint: `http://127.0.0.1:${port}` }, bucket, { partSize: PART, timeoutMs: 1000 }),
    );
    try {
      const bytes = largeMp3(3 * PART);
      const location = (await createUpload(slow.url, 'cut', 'frozen.mp3', bytes.length)).headers.get('location')!;
      const stalled = await patchUpload(slow.url, location, 0, bytes);
      expect(stalled.status).toBe(503);
      expect(await stalled.json()).toMatchObject({ code: 505 });
      expect((await headUpload(url(0), location)).headers.get('upload-offset')).toBe(String(PART));
      // Parts after the stalled one may have gone up meanwhile; they never counted, and are sent again.
      expect((await recordOf(location)).inPlace!.parts.map((part) => part.PartNumber)).toEqual([1]);

      frozen = false;
      const last = await patchUpload(slow.url, location, PART, bytes.subarray(PART));
      expect(await last.json()).toMatchObject({ code: 200, files: [{ filename: 'frozen.mp3', sha256: sha256(bytes) }] });
      expect((await stored('frozen.mp3')).equals(bytes)).toBe(true);
    } finally {
      for (const req of held) req.destroy();
      await slow.close();
      relay.closeAllConnections();
      await new Promise((resolve) => relay.close(resolve));
    }
  });
});
