import http from 'node:http';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { closedPort, randomBody, send, sendJson, startUpstream, type TestUpstream } from './helpers/upstream.ts';

/** Resolves when the next request reaches `/hold`, then when the upstream sees that request closed. */
interface HeldRequest {
  arrived: Promise<void>;
  closed: Promise<void>;
}

/** `promise`, or a failure naming `what` after `ms`: a wait that cannot hang the suite. */
async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

describe('proxy failures', () => {
  let upstream: TestUpstream;
  let service: RunningService;
  const timers = new Set<NodeJS.Timeout>();
  let held: HeldRequest & { arrive(): void; close(): void };

  function expectHeldRequest(): HeldRequest {
    let arrive = () => {};
    let close = () => {};
    const arrived = new Promise<void>((resolve) => (arrive = resolve));
    const closed = new Promise<void>((resolve) => (close = resolve));
    held = { arrived, closed, arrive, close };
    return held;
  }

  /** Answers after `ms` unless the connection closes first; the timer never outlives the test. */
  function later(ms: number, res: http.ServerResponse, answer: () => void): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      answer();
    }, ms);
    timers.add(timer);
    res.on('close', () => clearTimeout(timer));
  }

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      if (req.url === '/reset') return void req.socket.destroy();
      if (req.url === '/big') return void res.end(Buffer.alloc(16 * 1024 * 1024, 7));
      if (req.url === '/read-all') return void req.resume().on('end', () => res.end('read all'));
      if (req.url === '/slow') return later(2000, res, () => res.end('late answer'));
      if (req.url === '/stall') return void res.writeHead(200, { 'Content-Type': 'text/plain' }).write('first chunk');
      if (req.url === '/hold' || req.url === '/hold-body') {
        if (req.url === '/hold-body') res.writeHead(200).write('head sent');
        res.on('close', () => held.close());
        return held.arrive();
      }
      res.end('ok');
    });
    const refused = `http://127.0.0.1:${await closedPort()}`;
    service = await startService({
      proxy: {
        timeoutMs: 200,
        upstreams: {
          live: upstream.url,
          gone: refused,
          patient: { url: upstream.url, timeoutMs: 5000 },
          // A timeout above a loaded machine's scheduling delays (1 s was not, in a CI run whose two
          // cores were all busy), still half the client's pause.
          steady: { url: upstream.url, timeoutMs: 2500 },
        },
      },
    });
  });
  afterAll(async () => {
    for (const timer of timers) clearTimeout(timer);
    await service.close();
    await upstream.close();
  });

  it('answers 502 with JSON {code, reason} when the upstream refuses the connection', async () => {
    const res = await sendJson(service.url, { path: '/proxy/gone/x' });
    expect(res.status).toBe(502);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json).toEqual({ code: 502, reason: 'upstream "gone" unreachable' });
  });

  it('answers 502 when the upstream resets the connection', async () => {
    const res = await sendJson(service.url, { path: '/proxy/live/reset' });
    expect(res.status).toBe(502);
    expect(res.json).toMatchObject({ code: 502 });
  });

  // `send` asks for Connection: close: answered before the body was in, Node closed the socket under
  // the client's writes (EPIPE, the 502 never read) whenever the upstream failed fast enough.
  it('answers 502 to a large upload when the upstream resets the connection, and keeps serving', async () => {
    const res = await sendJson(service.url, { method: 'PUT', path: '/proxy/live/reset', body: randomBody(8 * 1024 * 1024).stream });
    expect(res.status).toBe(502);
    expect(res.json).toMatchObject({ code: 502 });
    expect((await send(service.url, { path: '/proxy/live/x' })).status).toBe(200);
  });

  it('answers 504 when the upstream is slower than the timeout', async () => {
    const res = await sendJson(service.url, { path: '/proxy/live/slow' });
    expect(res.status).toBe(504);
    expect(res.json).toEqual({ code: 504, reason: 'upstream "live" timed out' });
  });

  // undici's own timers tick twice a second: a 200 ms timeout fired at 1 s with them.
  it('answers 504 soon after the configured timeout, not up to a second later', async () => {
    const started = performance.now();
    const res = await send(service.url, { path: '/proxy/live/slow' });
    const elapsed = performance.now() - started;
    expect(res.status).toBe(504);
    expect(elapsed).toBeGreaterThanOrEqual(195);
    expect(elapsed).toBeLessThan(600);
  });

  it('counts the timeout from the last chunk of a slowly sent request body', async () => {
    const body = new PassThrough();
    const answer = send(service.url, { method: 'POST', path: '/proxy/live/read-all', headers: { 'Transfer-Encoding': 'chunked' }, body });
    for (let i = 0; i < 4; i++) {
      body.write(`chunk ${i}\n`);
      await new Promise((resolve) => setTimeout(resolve, 120));
    }
    body.end();
    const res = await answer;
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('read all');
  });

  it('answers 504 to a request with a body, sent whole before the upstream times out', async () => {
    const res = await sendJson(service.url, { method: 'POST', path: '/proxy/live/slow', body: 'a body' });
    expect(res.status).toBe(504);
    expect(res.json).toEqual({ code: 504, reason: 'upstream "live" timed out' });
  });

  it('uses the timeout of the upstream over the proxy-wide one', async () => {
    const res = await send(service.url, { path: '/proxy/patient/slow' });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('late answer');
  });

  it('cuts the client connection soon after the upstream goes silent mid-body', async () => {
    let firstChunkAt = 0;
    const outcome = await new Promise<string>((resolve) => {
      const req = http.get(`${service.url}/proxy/live/stall`, { agent: false }, (res) => {
        res.on('data', () => (firstChunkAt ||= performance.now()));
        res.on('end', () => resolve('ended normally'));
        res.on('error', () => resolve('cut'));
        res.on('aborted', () => resolve('cut'));
      });
      req.on('error', () => resolve('cut'));
    });
    expect(outcome).toBe('cut');
    // undici's bodyTimeout cut a 200 ms silence at 1 s.
    expect(performance.now() - firstChunkAt).toBeLessThan(600);
  });

  it('never cuts an answer the client is slow to read: the timeout is for upstream silence', async () => {
    const received = await new Promise<number>((resolve, reject) => {
      http
        .get(`${service.url}/proxy/steady/big`, { agent: false }, (res) => {
          let bytes = 0;
          res.on('data', (chunk: Buffer) => (bytes += chunk.length));
          res.on('end', () => resolve(bytes));
          res.on('error', reject);
          res.on('aborted', () => reject(new Error('cut')));
          res.pause();
          setTimeout(() => res.resume(), 5000);
        })
        .on('error', reject);
    });
    expect(received).toBe(16 * 1024 * 1024);
  });

  it('aborts the upstream request when the client disconnects before the answer', async () => {
    const hold = expectHeldRequest();
    const req = http.get(`${service.url}/proxy/patient/hold`, { agent: false });
    req.on('error', () => {});
    await hold.arrived;
    req.destroy();
    await within(5000, hold.closed, 'upstream request closed');
  });

  it('aborts the upstream request when the client disconnects during the answer body', async () => {
    const hold = expectHeldRequest();
    const req = http.get(`${service.url}/proxy/patient/hold-body`, { agent: false }, (res) => {
      res.once('data', () => req.destroy());
    });
    req.on('error', () => {});
    await hold.arrived;
    await within(5000, hold.closed, 'upstream request closed');
  });
});
