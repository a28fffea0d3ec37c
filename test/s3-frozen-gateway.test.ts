import { HeadObjectCommand } from '@aws-sdk/client-s3';
import http from 'node:http';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { startCephRgw, type CephRgw } from './helpers/ceph-rgw.ts';
import { sha256, uniqueMp3 } from './helpers/media.ts';
import { freshBucket, s3Client } from './helpers/s3.ts';
import { startS3Recorder, type S3Recorder } from './helpers/s3-recorder.ts';
import { s3Backend } from './helpers/s3-service.ts';
import { downloaded } from './helpers/stored.ts';
import { largeMp3 } from './helpers/tus.ts';
import { upload } from './helpers/upload.ts';
import { waitFor } from './helpers/wait.ts';

const TIMEOUT_MS = 1000;

// A cluster of this file's own, since its gateway is frozen here (SIGSTOP) under a running service.
describe('S3 backend when the gateway freezes with a request in flight', () => {
  let cluster: CephRgw;
  let bucket: string;
  let service: RunningService;

  beforeAll(async () => {
    cluster = await startCephRgw();
    bucket = await freshBucket(cluster);
    service = await startService(s3Backend(cluster, bucket, { timeoutMs: TIMEOUT_MS }));
  }, 60_000);
  afterAll(async () => {
    await service?.close();
    await cluster?.stop();
  });

  const exists = async (key: string) => {
    const client = s3Client(cluster);
    try {
      await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    } catch {
      return false;
    } finally {
      client.destroy();
    }
  };

  it('answers a PUT whose answer comes after its deadline as stored, having asked the bucket', async () => {
    // The gateway stores the object at once; only its answer arrives late (a slow network back).
    const slow: S3Recorder = await startS3Recorder(cluster.endpoint, { putDelayMs: 3 * TIMEOUT_MS });
    const late = await startService(s3Backend({ ...cluster, endpoint: slow.url }, bucket, { timeoutMs: TIMEOUT_MS }));
    try {
      const bytes = uniqueMp3('late answer');
      const posted = await upload(late.url, 'multipart', { directory: 'late', filename: 'a.mp3', bytes });
      expect(posted.body).toMatchObject({ code: 200, files: [{ filename: 'a.mp3', sha256: sha256(bytes) }] });
      expect(posted.status).toBe(200);
      expect(await downloaded(late.url, 'late', 'a.mp3')).toEqual(bytes);
    } finally {
      await late.close();
      await slow.close();
    }
  });

  it('answers a PUT whose connection broke after the gateway stored it as stored, having asked the bucket', async () => {
    const cut: S3Recorder = await startS3Recorder(cluster.endpoint, { dropPutAnswers: true });
    const broken = await startService(s3Backend({ ...cluster, endpoint: cut.url }, bucket, { timeoutMs: TIMEOUT_MS }));
    try {
      const bytes = uniqueMp3('cut answer');
      const posted = await upload(broken.url, 'multipart', { directory: 'cut', filename: 'a.mp3', bytes });
      expect(posted.body).toMatchObject({ code: 200, files: [{ filename: 'a.mp3', sha256: sha256(bytes) }] });
      expect(await downloaded(broken.url, 'cut', 'a.mp3')).toEqual(bytes);
    } finally {
      await broken.close();
      await cut.close();
    }
  });

  it('never says "nothing kept" for an upload the frozen gateway stored, and answers the retry of the same bytes as stored', async () => {
    const bytes = uniqueMp3('frozen');
    cluster.pauseGateway();
    let posted;
    try {
      posted = await upload(service.url, 'multipart', { directory: 'frozen', filename: 'a.mp3', bytes });
    } finally {
      cluster.resumeGateway();
    }
    expect(posted.status).toBe(503);
    expect(posted.body).toMatchObject({ code: 505, files: [{ code: 505, filename: 'a.mp3' }] });
    expect(posted.body.reason).toMatch(/timed out; outcome unknown: the file may have been stored/);
    // The request was in the frozen gateway's socket: it runs once the gateway does.
    await waitFor('the frozen PUT to land', () => exists('frozen/a.mp3'), 15_000, 100);

    const retry = await upload(service.url, 'multipart', { directory: 'frozen', filename: 'a.mp3', bytes });
    expect(retry.body).toMatchObject({ code: 200, files: [{ filename: 'a.mp3', sha256: sha256(bytes) }] });
    expect(await downloaded(service.url, 'frozen', 'a.mp3')).toEqual(bytes);
    // Settled: from now on the name holds a file like any other.
    expect((await upload(service.url, 'multipart', { directory: 'frozen', filename: 'a.mp3', bytes })).status).toBe(409);
    const other = await upload(service.url, 'multipart', { directory: 'frozen', filename: 'a.mp3', bytes: uniqueMp3('other') });
    expect(other.status).toBe(409);
  });

  it('cuts a download whose gateway freezes mid-body after the idle deadline, and keeps serving', async () => {
    const bytes = largeMp3(64 * 1024 * 1024);
    expect((await upload(service.url, 'multipart', { directory: 'big', filename: 'long.mp3', bytes })).status).toBe(200);
    const started = Date.now();
    const outcome = await new Promise<{ received: number; error?: string; endedMs: number }>((resolve) => {
      http.get(`${service.url}/media/big/long.mp3`, (res) => {
        let received = 0;
        res.once('data', (chunk: Buffer) => {
          received += chunk.length;
          // Mid-body: the client holds still while the gateway freezes, then reads on.
          res.pause();
          cluster.pauseGateway();
          res.on('data', (more: Buffer) => (received += more.length));
          res.resume();
        });
        res.once('end', () => resolve({ received, endedMs: Date.now() - started }));
        res.once('error', (error) => resolve({ received, error: error.message, endedMs: Date.now() - started }));
      });
    });
    cluster.resumeGateway();
    expect(outcome.error).toMatch(/aborted/);
    expect(outcome.received).toBeLessThan(bytes.length);
    expect(outcome.endedMs).toBeLessThan(10 * TIMEOUT_MS);
    expect((await request(service.url).get('/healthz')).status).toBe(200);
    // Compared by digest: a deep equality of 64 MiB holds the event loop for minutes.
    expect(sha256((await downloaded(service.url, 'big', 'long.mp3'))!)).toBe(sha256(bytes));
  }, 60_000);
});
