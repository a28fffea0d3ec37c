import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { send, startUpstream, type TestUpstream } from './helpers/upstream.ts';

describe('proxy cache', () => {
  let upstream: TestUpstream;
  let service: RunningService;
  /** Times each path was asked of the upstream. */
  const asked = new Map<string, number>();

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      const path = req.url ?? '';
      const count = (asked.get(path) ?? 0) + 1;
      asked.set(path, count);
      const [, kind] = /^\/([a-z-]+)/.exec(path) ?? [];
      const headers: Record<string, string> = { 'Content-Type': 'text/plain', 'X-Kind': kind ?? '' };
      if (kind === 'no-store') headers['Cache-Control'] = 'no-store';
      if (kind === 'private') headers['Cache-Control'] = 'private, max-age=60';
      if (kind === 'max-age-zero') headers['Cache-Control'] = 'max-age=0';
      if (kind === 'missing') return void res.writeHead(404, headers).end(`answer ${count}`);
      if (kind === 'large') return void res.writeHead(200, headers).end('x'.repeat(2048));
      res.writeHead(200, headers).end(`answer ${count} for ${req.method}`);
    });
    service = await startService({
      proxy: {
        upstreams: {
          cached: { url: upstream.url, cache: { ttlMs: 60_000, maxEntries: 3, maxBodyBytes: 1024 } },
          brief: { url: upstream.url, cache: { ttlMs: 1000 } },
          plain: upstream.url,
        },
      },
    });
  });
  afterAll(async () => {
    await service.close();
    await upstream.close();
  });

  const get = (path: string, headers: Record<string, string> = {}) => send(service.url, { path, headers });

  it('answers a repeated GET from the cache: MISS, then HIT with the same body and headers', async () => {
    const first = await get('/proxy/cached/page?a=1');
    const second = await get('/proxy/cached/page?a=1');
    expect(first.headers['x-cache']).toBe('MISS');
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.status).toBe(200);
    expect(second.body.toString()).toBe('answer 1 for GET');
    expect(second.headers['x-kind']).toBe('page');
    expect(second.headers['content-type']).toBe('text/plain');
    expect(second.headers.age).toMatch(/^\d+$/);
    expect(asked.get('/page?a=1')).toBe(1);
  });

  // pipeline() puts seven 'close' listeners of its own on the response: with the request's own,
  // a cached answer passed Node's default of ten and printed a warning to stderr every time.
  it('stores an answer in the cache without a MaxListenersExceededWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      expect((await get('/proxy/cached/listeners')).headers['x-cache']).toBe('MISS');
      // The marker: a warning is emitted on the next tick after the listener that passes the
      // limit, so one emitted now is already here when this one arrives.
      process.emitWarning('marker');
      await new Promise((resolve) => process.nextTick(resolve));
      expect(warnings.map((warning) => warning.message)).toEqual(['marker']);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('keys entries by path and query', async () => {
    const other = await get('/proxy/cached/page?a=2');
    expect(other.headers['x-cache']).toBe('MISS');
    expect(other.body.toString()).toBe('answer 1 for GET');
  });

  it('never stores answers marked no-store or private, nor max-age=0', async () => {
    for (const kind of ['no-store', 'private', 'max-age-zero']) {
      const first = await get(`/proxy/cached/${kind}`);
      const second = await get(`/proxy/cached/${kind}`);
      expect([first.headers['x-cache'], second.headers['x-cache']], kind).toEqual(['MISS', 'MISS']);
      expect(second.body.toString(), kind).toBe('answer 2 for GET');
    }
  });

  it('stores only 200 answers to GET without Authorization, within the body size limit', async () => {
    await get('/proxy/cached/missing');
    expect((await get('/proxy/cached/missing')).headers['x-cache']).toBe('MISS');
    await get('/proxy/cached/large');
    expect((await get('/proxy/cached/large')).headers['x-cache']).toBe('MISS');
    await send(service.url, { method: 'POST', path: '/proxy/cached/posted', body: 'x' });
    expect((await send(service.url, { method: 'POST', path: '/proxy/cached/posted', body: 'x' })).headers['x-cache']).toBe('MISS');
    await get('/proxy/cached/authorized', { Authorization: 'Bearer a' });
    const again = await get('/proxy/cached/authorized', { Authorization: 'Bearer b' });
    expect(again.headers['x-cache']).toBe('MISS');
    expect(again.body.toString()).toBe('answer 2 for GET');
  });

  it('never stores nor serves a stored answer for a request that carries a Cookie', async () => {
    await get('/proxy/cached/session', { Cookie: 'sid=alice' });
    const anonymous = await get('/proxy/cached/session');
    expect(anonymous.headers['x-cache']).toBe('MISS');
    expect(anonymous.body.toString()).toBe('answer 2 for GET');
    const withCookie = await get('/proxy/cached/session', { Cookie: 'sid=bob' });
    expect(withCookie.headers['x-cache']).toBe('MISS');
    expect(withCookie.body.toString()).toBe('answer 3 for GET');
  });

  it('asks the upstream again when the client sends Cache-Control: no-cache', async () => {
    await get('/proxy/cached/fresh');
    const res = await get('/proxy/cached/fresh', { 'Cache-Control': 'no-cache' });
    expect(res.headers['x-cache']).toBe('MISS');
    expect(res.body.toString()).toBe('answer 2 for GET');
  });

  it('lets the upstream decide range and conditional requests', async () => {
    await get('/proxy/cached/conditional');
    expect((await get('/proxy/cached/conditional')).headers['x-cache']).toBe('HIT');
    const asks: Array<Record<string, string>> = [
      { Range: 'bytes=0-3' },
      { 'If-None-Match': '"v1"' },
      { 'If-Modified-Since': new Date().toUTCString() },
    ];
    for (const headers of asks) {
      expect((await get('/proxy/cached/conditional', headers)).headers['x-cache']).toBe('MISS');
    }
  });

  it('forgets the least recently used entry beyond maxEntries', async () => {
    for (const path of ['/lru-a', '/lru-b', '/lru-c', '/lru-a', '/lru-d']) await get(`/proxy/cached${path}`);
    expect((await get('/proxy/cached/lru-a')).headers['x-cache']).toBe('HIT');
    expect((await get('/proxy/cached/lru-b')).headers['x-cache']).toBe('MISS');
  });

  it('forgets entries after their TTL', async () => {
    // The service runs in this process: its clock (Date only) is moved, not waited for.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    try {
      await get('/proxy/brief/ttl');
      vi.advanceTimersByTime(999);
      expect((await get('/proxy/brief/ttl')).headers['x-cache']).toBe('HIT');
      vi.advanceTimersByTime(2);
      expect((await get('/proxy/brief/ttl')).headers['x-cache']).toBe('MISS');
    } finally {
      vi.useRealTimers();
    }
  });

  it('is off unless configured: no X-Cache and every GET reaches the upstream', async () => {
    const first = await get('/proxy/plain/uncached');
    const second = await get('/proxy/plain/uncached');
    expect(first.headers['x-cache']).toBeUndefined();
    expect(second.body.toString()).toBe('answer 2 for GET');
  });
});
