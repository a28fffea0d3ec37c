import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startService as startRuntimeService } from '../src/runtime/service.ts';
import { capturingLogger, startService, tempRoot, testConfig, type RunningService } from './helpers/app.ts';
import { ConformanceRecorder } from './helpers/conformance.ts';
import { fixture } from './helpers/media.ts';
import { upload } from './helpers/upload.ts';
import { waitFor } from './helpers/wait.ts';

/** A service whose pino lines are kept in memory for the test to read. */
async function serviceWithLogs() {
  const { logger, lines } = capturingLogger();
  const root = await tempRoot();
  const config = testConfig(root, { server: { port: 0, shutdownGraceMs: 0 }, auth: { tokens: ['top-secret-token'] } });
  const service = await startRuntimeService(config, { logger });
  const conformance = new ConformanceRecorder().attach(service.server);
  return { service, lines, root, conformance };
}

describe('request logs and ids', () => {
  let running: Awaited<ReturnType<typeof serviceWithLogs>>;
  beforeAll(async () => {
    running = await serviceWithLogs();
  });
  afterAll(async () => {
    await running.service.stop();
    running.conformance.assertConforms();
  });

  it('echoes a valid X-Request-Id and logs one line per request with route, status, bytes and duration', async () => {
    const res = await upload(running.service.url, 'multipart', {
      directory: 'logs',
      filename: 'a.mp3',
      bytes: fixture('tone.mp3'),
      token: 'top-secret-token',
    }).set('X-Request-Id', 'client-chosen.id-1');
    expect(res.headers['x-request-id']).toBe('client-chosen.id-1');
    const line = running.lines.find((l) => (l.req as { id?: string } | undefined)?.id === 'client-chosen.id-1');
    expect(line).toMatchObject({ route: '/media/', res: { statusCode: 200 }, req: { method: 'POST' } });
    await request(running.service.url).get('/media/x/missing.mp3').set('X-Request-Id', 'download-1');
    const download = running.lines.find((l) => (l.req as { id?: string } | undefined)?.id === 'download-1');
    expect(download).toMatchObject({ route: '/media/*path', res: { statusCode: 404 } });
    expect(line!.responseTime).toEqual(expect.any(Number));
    expect(line!.bytesIn).toBeGreaterThan(fixture('tone.mp3').length);
  });

  it('logs a request whose client left before the answer, marked aborted', async () => {
    const { port } = new URL(running.service.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      'POST /media HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer top-secret-token\r\nX-Request-Id: leaves-early\r\n' +
        'Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\n' +
        'Content-Disposition: form-data; name="logs"; filename="gone.mp3"\r\n\r\nID3',
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    const line = () => running.lines.find((l) => (l.req as { id?: string } | undefined)?.id === 'leaves-early');
    await waitFor("the aborted request's log line", () => line() !== undefined);
    expect(line()).toMatchObject({ aborted: true, route: '/media/', req: { method: 'POST' } });
  });

  it('logs the code, reason, directory and filename of a refused upload on its request line', async () => {
    const idOf = (id: string) => running.lines.find((l) => (l.req as { id?: string } | undefined)?.id === id);
    const refused = await upload(running.service.url, 'multipart', {
      directory: 'logs',
      filename: 'notes.txt',
      bytes: fixture('tone.mp3'),
      token: 'top-secret-token',
    }).set('X-Request-Id', 'refused-format');
    expect(refused.status).toBe(415);
    await waitFor("the refused upload's line", () => idOf('refused-format') !== undefined);
    expect(idOf('refused-format')).toMatchObject({
      res: { statusCode: 415 },
      code: 504,
      reason: expect.stringMatching(/^format not supported/),
      files: [{ directory: 'logs', filename: 'notes.txt', code: 504 }],
    });

    await request(running.service.url)
      .post('/media')
      .set('Authorization', 'Bearer top-secret-token')
      .set('X-Request-Id', 'refused-type')
      .type('text/plain')
      .send('x');
    await waitFor("the refused type's line", () => idOf('refused-type') !== undefined);
    expect(idOf('refused-type')).toMatchObject({
      res: { statusCode: 415 },
      code: 502,
      reason: expect.stringContaining("Content-Type 'text/plain"),
    });
  });

  it('labels the files of the pages with their route in logs and metrics, not as unmatched', async () => {
    const assets: Array<[path: string, route: string]> = [
      ['/library/library.js', '/library/*asset'],
      ['/chat/chat.css', '/chat/*asset'],
    ];
    for (const [path, route] of assets) {
      expect((await request(running.service.url).get(path).set('X-Request-Id', `asset-${route.length}`)).status, path).toBe(200);
      const line = running.lines.find((l) => (l.req as { id?: string } | undefined)?.id === `asset-${route.length}`);
      expect(line, path).toMatchObject({ route, res: { statusCode: 200 } });
    }
    const metrics = (await request(running.service.url).get('/metrics')).text;
    expect(metrics).toMatch(/^http_requests_total\{route="\/library\/\*asset",method="GET",status="200"\} 1$/m);
    expect(metrics).toMatch(/^http_requests_total\{route="\/chat\/\*asset",method="GET",status="200"\} 1$/m);
    expect(metrics).not.toMatch(/route="unmatched",method="GET",status="200"/);
  });

  it('replaces an invalid X-Request-Id with a generated one', async () => {
    const res = await request(running.service.url).get('/healthz').set('X-Request-Id', 'bad id with spaces; and more');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const generated = await request(running.service.url).get('/healthz');
    expect(generated.headers['x-request-id']).not.toBe(res.headers['x-request-id']);
  });

  it('never logs bearer tokens or file contents', async () => {
    await upload(running.service.url, 'urlencoded', {
      directory: 'logs',
      filename: 'b.mp3',
      bytes: fixture('tone.mp3'),
      token: 'top-secret-token',
    });
    const text = JSON.stringify(running.lines);
    expect(text).not.toContain('top-secret-token');
    expect(text).not.toContain(fixture('tone.mp3').subarray(0, 16).toString('latin1'));
  });
});

describe('log lines of aborted uploads', () => {
  it('logs each aborted upload as one info line, wherever in the body the client left', async () => {
    const running = await serviceWithLogs();
    const { port } = new URL(running.service.url);
    try {
      for (const size of [0, 70_000, 300_000]) {
        const socket = net.connect(Number(port), '127.0.0.1');
        await once(socket, 'connect');
        socket.write(
          `POST /media HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer top-secret-token\r\nX-Request-Id: abort-${size}\r\n` +
            'Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 1000000\r\n\r\n--b\r\n' +
            `Content-Disposition: form-data; name="logs"; filename="abort-${size}.mp3"\r\n\r\nID3${'x'.repeat(size)}`,
        );
        await new Promise((resolve) => setTimeout(resolve, 100));
        socket.destroy();
        const ofThis = () => running.lines.filter((l) => (l.req as { id?: string } | undefined)?.id === `abort-${size}`);
        await waitFor(`the log line of abort-${size}`, () => ofThis().length > 0);
        expect(ofThis()).toEqual([expect.objectContaining({ level: 30, aborted: true, route: '/media/' })]);
        // Not `POST /media/ 200` with the declared 1,000,000 bytes: no answer went out, and what came is counted.
        expect(ofThis()[0]).toMatchObject({ msg: 'POST /media/ aborted', res: { statusCode: null } });
        expect(ofThis()[0]!.bytesIn).toBeGreaterThan(size);
        expect(ofThis()[0]!.bytesIn).toBeLessThan(size + 1000);
      }
    } finally {
      // Whatever the parser and the store did after the clients left is in the log once stopped.
      await running.service.stop();
      await rm(running.root, { recursive: true, force: true });
    }
    expect(running.lines.filter((l) => l.level > 30)).toEqual([]);
    running.conformance.assertConforms();
  });
});

describe('/metrics, /readyz and headers', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({ rateLimit: { writesPerWindow: 3, windowMs: 60_000 } });
  });
  afterAll(() => service.close());
  afterEach(() => {
    execFileSync('chattr', ['-i', service.root]);
  });

  it('serves Prometheus text that counts requests, uploads and bytes', async () => {
    await request(service.url).get('/healthz');
    await upload(service.url, 'multipart', { directory: 'm', filename: 'a.mp3', bytes: fixture('tone.mp3') });
    const res = await request(service.url).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const value = (pattern: RegExp) => Number(pattern.exec(res.text)?.[1]);
    expect(value(/^http_requests_total\{route="\/healthz",method="GET",status="200"\} (\d+)$/m)).toBeGreaterThanOrEqual(1);
    expect(value(/^media_uploads_total\{code="200"\} (\d+)$/m)).toBe(1);
    expect(value(/^media_bytes_stored_total (\d+)$/m)).toBe(fixture('tone.mp3').length);
    for (const name of [
      'http_request_duration_seconds_bucket',
      'media_pool_queue_depth',
      'media_pool_utilization',
      'nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(res.text).toContain(name);
    }
  });

  it('is ready, and answers 503 with a reason when the storage root is not writable', async () => {
    expect((await request(service.url).get('/readyz')).body).toEqual({ status: 'ready' });
    // chattr +i: read-only even for root, which ignores permission bits.
    execFileSync('chattr', ['+i', service.root]);
    const res = await request(service.url).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.problems).toEqual([expect.stringMatching(/^storage root not writable/)]);
  });

  it('sends security headers with a CSP and no X-Powered-By', async () => {
    const res = await request(service.url).get('/media?directory=m');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('limits writes per client when configured, answering JSON 429', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) {
      codes.push(
        (
          await request(service.url)
            .delete('/media')
            .query({ directory: 'm', filename: `x${i}.mp3` })
        ).status,
      );
    }
    expect(codes.slice(0, 2)).toEqual([200, 200]);
    const limited = await request(service.url).delete('/media').query({ directory: 'm', filename: 'y.mp3' });
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ code: 429 });
    expect((await request(service.url).get('/media?directory=m')).status).toBe(200);
  });
});
