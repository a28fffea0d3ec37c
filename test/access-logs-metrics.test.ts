import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { signatureOf, testKey } from './helpers/access.ts';
import { fixture, multipartBody } from './helpers/media.ts';
import { waitFor } from './helpers/wait.ts';

const TOKEN = 'the-all-powerful-token';
const SIGNING = { id: 'k1', secret: 'a-signing-secret-of-at-least-32-characters' };
const app = testKey('app', ['read', 'write'], ['podcasts']);
const reader = testKey('reader', ['read']);
const narrowReader = testKey('narrow', ['read'], ['podcasts']);

describe('request logs and /metrics with keys', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({
      auth: { tokens: [TOKEN], keys: [app.entry, reader.entry, narrowReader.entry], protectReads: true, signingKeys: [SIGNING] },
      rateLimit: { writesPerKeyPerWindow: 2, windowMs: 60_000 },
    });
  });
  afterAll(() => service.close());

  const lineOf = async (requestId: string) => {
    await waitFor(`the log line of ${requestId}`, () =>
      service.logs.some((line) => (line.req as { id?: string } | undefined)?.id === requestId),
    );
    return service.logs.find((line) => (line.req as { id?: string }).id === requestId)!;
  };

  it('logs the key id, never the secret, a signature or a token sent in the query string', async () => {
    const { body, contentType } = multipartBody([
      { name: 'directory', body: 'podcasts' },
      { name: 'file', filename: 'a.mp3', body: fixture('tone.mp3') },
    ]);
    await fetch(`${service.url}/media`, {
      method: 'POST',
      headers: { ...app.bearer, 'Content-Type': contentType, 'X-Request-Id': 'post-1' },
      body,
    });
    expect(await lineOf('post-1')).toMatchObject({ key: 'app' });

    const signed = await fetch(`${service.url}/signed-urls`, {
      method: 'POST',
      headers: { ...app.bearer, 'Content-Type': 'application/json' },
      body: JSON.stringify({ operation: 'download', directory: 'podcasts', filename: 'a.mp3' }),
    });
    const { url } = (await signed.json()) as { url: string };
    const signature = signatureOf(url);
    expect((await fetch(url, { headers: { 'X-Request-Id': 'signed-1' } })).status).toBe(200);
    expect(await lineOf('signed-1')).toMatchObject({ signingKey: 'k1', req: { url: '/media/podcasts/a.mp3?signature=[redacted]' } });

    await fetch(`${service.url}/media?directory=podcasts&token=${TOKEN}&access_token=${TOKEN}`, {
      headers: { 'X-Request-Id': 'query-token' },
    });
    expect((await lineOf('query-token')).req).toMatchObject({ url: '/media?directory=podcasts&token=[redacted]&access_token=[redacted]' });
    // A 405's reason is logged too: it names the path, not the query.
    await fetch(`${service.url}/media/podcasts/a.mp3?signature=${signature}`, { method: 'PUT', headers: { 'X-Request-Id': 'put-1' } });
    await lineOf('put-1');

    const everything = JSON.stringify(service.logs);
    for (const secret of [app.secret, signature, TOKEN, SIGNING.secret]) expect(everything).not.toContain(secret);
  });

  it('protects /metrics when reads are protected: 401 without a key, 403 for a key of some directories, 200 for a reader of all', async () => {
    expect((await fetch(`${service.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${service.url}/metrics`, { headers: app.bearer })).status).toBe(403);
    expect((await fetch(`${service.url}/metrics`, { headers: narrowReader.bearer })).status).toBe(403);
    expect((await fetch(`${service.url}/metrics`, { headers: reader.bearer })).status).toBe(200);
    expect((await fetch(`${service.url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('limits writes per key whatever the address, and leaves other keys alone', async () => {
    const del = (headers: Record<string, string>) =>
      fetch(`${service.url}/media?directory=podcasts&filename=none.mp3`, { method: 'DELETE', headers });
    const token = { Authorization: `Bearer ${TOKEN}` };
    // rateLimit.writesPerKeyPerWindow is 2: `app` already wrote once above.
    expect((await del(token)).status).toBe(200);
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push((await del(app.bearer)).status);
    expect(answers).toEqual([403, 429, 429]);
    expect((await del(token)).status).toBe(200);
  });
});

describe('/metrics with auth.protectMetrics', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({ auth: { tokens: [TOKEN], protectMetrics: true } });
  });
  afterAll(() => service.close());

  it('needs a key even when reads are public', async () => {
    expect((await fetch(`${service.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${service.url}/media/podcasts/none.mp3`)).status).toBe(404);
    expect((await fetch(`${service.url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });
});

describe('/metrics not protected', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({ auth: { tokens: [TOKEN] } });
  });
  afterAll(() => service.close());

  it('answers whatever credentials come with it (a scraper with a stale token keeps working)', async () => {
    expect((await fetch(`${service.url}/metrics`)).status).toBe(200);
    expect((await fetch(`${service.url}/metrics`, { headers: { Authorization: 'Bearer stale' } })).status).toBe(200);
  });
});
