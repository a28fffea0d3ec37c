import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { fixture } from './helpers/media.ts';

describe('HTTP server timeouts', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({
      server: { headersTimeoutMs: 1000, idleTimeoutMs: 2000 },
      media: { maxFileSize: 200 * 1024 * 1024 },
    });
  });
  afterAll(() => service.close());

  it('cuts off a client that sends its headers too slowly', async () => {
    const { port } = new URL(service.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    // One header byte every 200 ms keeps the connection busy but never finishes the head.
    const trickle = setInterval(() => socket.write('X'), 200);
    const started = Date.now();
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk) => (text += chunk));
      socket.on('close', () => resolve(text));
      socket.on('error', () => undefined);
    });
    clearInterval(trickle);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('lets a slow but steady 100 MiB upload finish', async () => {
    const boundary = 'steady';
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="slow"; filename="steady.mp3"\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const chunk = Buffer.alloc(1024 * 1024, 7);
    const chunks = 100;
    const first = fixture('tone.mp3');
    const length = head.length + first.length + chunks * chunk.length + tail.length;
    const req = http.request(`${service.url}/media`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': length },
    });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c) => (body += c)).on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
    });
    const started = Date.now();
    req.write(Buffer.concat([head, first]));
    for (let i = 0; i < chunks; i++) {
      if (!req.write(chunk)) await new Promise((resolve) => req.once('drain', resolve));
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    req.end(tail);
    const { status, body } = await answer;
    // Longer than the headers timeout, every pause shorter than the idle timeout.
    expect(Date.now() - started).toBeGreaterThan(2000);
    expect(status).toBe(200);
    expect(JSON.parse(body).files[0].size).toBe(first.length + chunks * chunk.length);
  }, 30_000);
});
