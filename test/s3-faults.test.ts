import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { startCephRgw, type CephRgw } from './helpers/ceph-rgw.ts';
import { uniqueMp3 } from './helpers/media.ts';
import { freshBucket } from './helpers/s3.ts';
import { s3Backend } from './helpers/s3-service.ts';
import { upload } from './helpers/upload.ts';

// A cluster of this file's own, since its gateway is stopped and frozen here: the bucket failing
// under a running service gives clean 505 answers and /readyz 503, and the service recovers by
// itself when the bucket is back.
describe('S3 backend when the bucket is unreachable', () => {
  let cluster: CephRgw;
  let bucket: string;
  let service: RunningService;
  let legacy: RunningService;

  beforeAll(async () => {
    cluster = await startCephRgw();
    bucket = await freshBucket(cluster);
    service = await startService(s3Backend(cluster, bucket, { timeoutMs: 1000 }));
    legacy = await startService({ ...s3Backend(cluster, bucket, { timeoutMs: 1000 }), media: { statusMode: 'legacy' } });
  }, 60_000);
  afterAll(async () => {
    await service?.close();
    await legacy?.close();
    await cluster?.stop();
  });

  async function expectUnavailable(cause: RegExp): Promise<void> {
    const posted = await upload(service.url, 'multipart', { directory: 'f', filename: 'new.mp3', bytes: uniqueMp3('while down') });
    expect(posted.status).toBe(503);
    expect(posted.body).toMatchObject({ code: 505, files: [{ code: 505, filename: 'new.mp3' }] });
    expect(posted.body.reason).toMatch(cause);
    for (const answer of [
      await request(service.url).get('/media').query({ directory: 'f' }),
      await request(service.url).get('/media/f/kept.mp3'),
      await request(service.url).delete('/media').query({ directory: 'f', filename: 'kept.mp3' }),
    ]) {
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ code: 505, reason: expect.stringMatching(cause) });
    }
    expect((await request(service.url).head('/media/f/kept.mp3')).status).toBe(503);
    const ready = await request(service.url).get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.problems).toEqual([expect.stringContaining(`storage unavailable: bucket '${bucket}'`)]);
    const legacyAnswer = await upload(legacy.url, 'urlencoded', { directory: 'f', filename: 'legacy.mp3', bytes: uniqueMp3('legacy') });
    expect(legacyAnswer.status).toBe(200);
    expect(legacyAnswer.body).toMatchObject({ code: 505 });
    expect(await service.store.staged()).toEqual([]);
    expect(await legacy.store.staged()).toEqual([]);
  }

  async function expectRecovered(): Promise<void> {
    expect((await request(service.url).get('/readyz')).body).toEqual({ status: 'ready' });
    expect((await request(service.url).get('/media/f/kept.mp3')).status).toBe(200);
    expect(
      (await upload(service.url, 'multipart', { directory: 'f', filename: `after-${Date.now()}.mp3`, bytes: uniqueMp3('after') })).status,
    ).toBe(200);
  }

  it('answers 505 (HTTP 503; 200 in legacy mode) while radosgw is stopped, /readyz 503 naming the bucket, and recovers when it is back', async () => {
    expect((await upload(service.url, 'multipart', { directory: 'f', filename: 'kept.mp3', bytes: uniqueMp3('kept') })).status).toBe(200);
    await cluster.stopGateway();
    await expectUnavailable(/unreachable \(ECONNREFUSED\)/);
    await cluster.startGateway();
    await expectRecovered();
  });

  it('times out calls to a gateway that stops answering, and recovers when it answers again', async () => {
    cluster.pauseGateway();
    try {
      await expectUnavailable(/timed out/);
    } finally {
      cluster.resumeGateway();
    }
    await expectRecovered();
  });
});
