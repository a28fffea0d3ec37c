import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tempRoot } from './helpers/app.ts';
import { sha256, uniqueMp3 } from './helpers/media.ts';
import { startServiceProcess, type ServiceProcess } from './helpers/process.ts';
import { startRedis, type RedisServer } from './helpers/redis.ts';
import { freshBucket } from './helpers/s3.ts';
import { s3Env } from './helpers/s3-service.ts';
import { upload } from './helpers/upload.ts';

// Two service processes as two hosts behind a load balancer: each its own local root (staging),
// the same bucket on the run's Ceph RADOS Gateway, one Redis for chat.
describe('two hosts sharing one bucket', () => {
  const rgw = inject('rgw');
  let redis: RedisServer;
  const roots: string[] = [];
  const hosts: ServiceProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    const bucket = await freshBucket(rgw);
    for (const _ of [1, 2]) {
      const root = await tempRoot('s3-host-');
      roots.push(root);
      const configFile = path.join(root, 'host.json');
      await writeFile(configFile, JSON.stringify({ chat: { redisUrl: redis.url } }));
      hosts.push(
        await startServiceProcess({
          ...s3Env(rgw, bucket),
          UPLOAD_DIR: path.join(root, 'media'),
          CONFIG_FILE: configFile,
          LOG_LEVEL: 'info',
        }),
      );
    }
  }, 60_000);
  afterAll(async () => {
    await Promise.all(hosts.map((host) => host.stop()));
    await redis?.stop();
    await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
  });

  it('serves through one host what was uploaded through the other: list, download, delete', async () => {
    const [a, b] = hosts as [ServiceProcess, ServiceProcess];
    const bytes = uniqueMp3('two hosts');
    expect((await upload(a.url, 'multipart', { directory: 'shared', filename: 'one.mp3', bytes })).status).toBe(200);

    const listed = await (await fetch(`${b.url}/media?directory=shared`)).json();
    expect(listed.files).toEqual([
      expect.objectContaining({ filename: 'one.mp3', sha256: sha256(bytes), size: bytes.length, contentType: 'audio/mpeg' }),
    ]);
    const downloaded = await fetch(`${b.url}/media/shared/one.mp3`);
    expect(downloaded.headers.get('etag')).toBe(`"${sha256(bytes)}"`);
    expect(Buffer.from(await downloaded.arrayBuffer()).equals(bytes)).toBe(true);

    const removed = await (await fetch(`${b.url}/media?directory=shared&filename=one.mp3`, { method: 'DELETE' })).json();
    expect(removed).toMatchObject({ code: 200, deleted: true });
    expect((await fetch(`${a.url}/media/shared/one.mp3`)).status).toBe(404);
  });

  it('lets exactly one of 20 concurrent uploads of one path through both hosts win, the stored file wholly its bytes', async () => {
    const name = `race-${randomUUID()}.mp3`;
    const bodies = Array.from({ length: 20 }, (_, i) => uniqueMp3(`writer ${i} ${'x'.repeat(300_000)}`));
    const answers = await Promise.all(
      bodies.map((bytes, i) => upload(hosts[i % 2]!.url, i % 3 ? 'multipart' : 'urlencoded', { directory: 'race', filename: name, bytes })),
    );
    const winners = answers.flatMap((answer, i) => (answer.status === 200 ? [i] : []));
    expect(winners).toHaveLength(1);
    for (const answer of answers) if (answer.status !== 200) expect(answer.body).toMatchObject({ code: 501 });
    const winner = bodies[winners[0]!]!;
    for (const host of hosts) {
      const stored = Buffer.from(await (await fetch(`${host.url}/media/race/${name}`)).arrayBuffer());
      expect(stored.equals(winner)).toBe(true);
    }
  });

  it('never writes the credentials or signed headers to the log', () => {
    for (const host of hosts) {
      const log = host.output();
      expect(log).toContain('"url":"/media"');
      for (const secret of [rgw.secretAccessKey, rgw.accessKeyId, 'Signature=', 'AWS4-HMAC-SHA256', 'x-amz-'])
        expect(log).not.toContain(secret);
    }
  });
});
