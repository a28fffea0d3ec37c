import { createHash } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { digestOf, randomBody, send, sendJson, startUpstream, type TestUpstream } from './helpers/upstream.ts';

const BIG = 32 * 1024 * 1024;

/** Routes of the test upstream, by path below its base `/base`. */
function upstreamHandler(state: { sentDigest?: string }): http.RequestListener {
  return (req, res) => {
    const path = (req.url ?? '').replace(/\?.*$/, '');
    if (path === '/base/echo-headers') {
      res.writeHead(201, {
        'Content-Type': 'application/json',
        'X-Upstream': 'yes',
        'Set-Cookie': ['a=1', 'b=2'],
        Connection: 'X-Secret',
        'X-Secret': 'per-hop',
        'Proxy-Authenticate': 'Basic',
      });
      return void res.end(JSON.stringify({ url: req.url, headers: req.headers }));
    }
    if (path === '/base/digest') {
      return void digestOf(req).then(({ sha256, bytes }) => {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ sha256, bytes, contentLength: req.headers['content-length'] ?? null }));
      });
    }
    if (path === '/base/big') {
      const body = randomBody(BIG);
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      body.stream.pipe(res).on('finish', () => (state.sentDigest = body.digest()));
      return;
    }
    if (path === '/base/empty') return void res.writeHead(204, { 'X-Empty': 'yes' }).end();
    if (path === '/base/cached') return void res.writeHead(304, { ETag: '"v1"' }).end();
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('upstream has no such page');
  };
}

describe('proxy forwarding', () => {
  const state: { sentDigest?: string } = {};
  let upstream: TestUpstream;
  let service: RunningService;

  beforeAll(async () => {
    upstream = await startUpstream(upstreamHandler(state));
    service = await startService({ proxy: { upstreams: { api: `${upstream.url}/base/` } } });
  });
  afterAll(async () => {
    await service.close();
    await upstream.close();
  });

  it('forwards path and query to the upstream base path and copies status, headers and body back', async () => {
    const res = await sendJson(service.url, { path: '/proxy/api/echo-headers?q=1&r=%C3%A9' });
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['x-upstream']).toBe('yes');
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(res.json).toMatchObject({ url: '/base/echo-headers?q=1&r=%C3%A9' });
  });

  it('drops hop-by-hop request headers, those named in Connection included, and sets Host and X-Forwarded-*', async () => {
    const res = await sendJson(service.url, {
      path: '/proxy/api/echo-headers',
      headers: {
        Host: 'media.example:8443',
        Connection: 'keep-alive, X-Hop',
        'X-Hop': 'for this hop only',
        'Keep-Alive': 'timeout=5',
        TE: 'trailers',
        'Proxy-Authorization': 'Basic c2VjcmV0',
        'X-Forwarded-For': '203.0.113.9',
        'X-Forwarded-Proto': 'https',
        'X-Forwarded-Host': 'spoofed.example',
        'X-Custom': 'kept',
        Cookie: 'session=abc',
      },
    });
    const seen = (res.json as { headers: http.IncomingHttpHeaders }).headers;
    expect(seen).toMatchObject({
      host: `127.0.0.1:${upstream.port}`,
      'x-custom': 'kept',
      cookie: 'session=abc',
      'x-forwarded-for': '203.0.113.9, 127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'media.example:8443',
    });
    expect(seen.via).toMatch(/^1\.1 media-service$/);
    for (const name of ['x-hop', 'keep-alive', 'te', 'proxy-authorization']) expect(seen[name]).toBeUndefined();
    expect(seen.connection ?? '').not.toMatch(/x-hop/i);
  });

  it('drops hop-by-hop answer headers, those named in Connection included, and adds Via', async () => {
    const res = await send(service.url, { path: '/proxy/api/echo-headers' });
    expect(res.headers['x-secret']).toBeUndefined();
    expect(res.headers['proxy-authenticate']).toBeUndefined();
    expect(res.headers.connection).not.toMatch(/x-secret/i);
    expect(res.headers.via).toBe('1.1 media-service');
  });

  it('copies upstream error answers as they are', async () => {
    const res = await send(service.url, { path: '/proxy/api/nothing-here' });
    expect(res.status).toBe(404);
    expect(res.body.toString()).toBe('upstream has no such page');
  });

  it('answers 204 and 304 without a body, keeping their headers', async () => {
    const empty = await send(service.url, { path: '/proxy/api/empty' });
    expect(empty.status).toBe(204);
    expect(empty.headers['x-empty']).toBe('yes');
    expect(empty.body.length).toBe(0);
    const notModified = await send(service.url, { path: '/proxy/api/cached', headers: { 'If-None-Match': '"v1"' } });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.etag).toBe('"v1"');
    expect(notModified.body.length).toBe(0);
  });

  it('answers HEAD with the headers of the upstream and no body', async () => {
    const res = await send(service.url, { method: 'HEAD', path: '/proxy/api/echo-headers' });
    expect(res.status).toBe(201);
    expect(res.headers['x-upstream']).toBe('yes');
    expect(res.body.length).toBe(0);
  });

  it('streams a 32 MiB request body to the upstream byte for byte, without Content-Length', async () => {
    const body = randomBody(BIG);
    const res = await sendJson(service.url, { method: 'PUT', path: '/proxy/api/digest', body: body.stream });
    expect(res.json).toEqual({ sha256: body.digest(), bytes: BIG, contentLength: null });
  });

  it('passes a request body with Content-Length on with the same length', async () => {
    const payload = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 10, 13]);
    const res = await sendJson(service.url, {
      method: 'POST',
      path: '/proxy/api/digest',
      headers: { 'Content-Length': payload.length },
      body: payload,
    });
    expect(res.json).toEqual({ sha256: createHash('sha256').update(payload).digest('hex'), bytes: 8, contentLength: '8' });
  });

  it('passes an empty request body as Content-Length: 0, and none on a GET', async () => {
    const posted = await sendJson(service.url, { method: 'POST', path: '/proxy/api/digest', headers: { 'Content-Length': 0 } });
    expect(posted.json).toMatchObject({ bytes: 0, contentLength: '0' });
    await send(service.url, { path: '/proxy/api/echo-headers', headers: { 'Content-Length': 0 } });
    const seen = upstream.seen.at(-1)!.headers;
    expect([seen['content-length'], seen['transfer-encoding']]).toEqual([undefined, undefined]);
  });

  it('streams a 32 MiB answer body to the client byte for byte', async () => {
    const res = await send(service.url, { path: '/proxy/api/big' });
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(BIG);
    expect(createHash('sha256').update(res.body).digest('hex')).toBe(state.sentDigest);
  });

  it('leaves form, JSON and multipart bodies unread by any body parser', async () => {
    const bodies: Array<[string, Buffer]> = [
      ['application/x-www-form-urlencoded', Buffer.from('directory=a&filename=b.mp3&body=%FF%00%80')],
      ['application/json', Buffer.from('{"not":"parsed", "x": [1,2,3]}')],
      ['multipart/form-data; boundary=XyZ', Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="f"\r\n\r\nv\r\n--XyZ--\r\n')],
    ];
    for (const [contentType, payload] of bodies) {
      const res = await sendJson(service.url, {
        method: 'POST',
        path: '/proxy/api/digest',
        headers: { 'Content-Type': contentType, 'Content-Length': payload.length },
        body: payload,
      });
      expect(res.json, contentType).toMatchObject({ sha256: createHash('sha256').update(payload).digest('hex') });
    }
  });

  it('answers an unknown upstream name with JSON code 404 and never forwards it', async () => {
    const before = upstream.seen.length;
    for (const path of ['/proxy/nope/echo-headers', '/proxy/', '/proxy', '/proxy/__proto__/x', '/proxy/constructor']) {
      const res = await sendJson(service.url, { path });
      expect(res.status, path).toBe(404);
      expect(res.json, path).toMatchObject({ code: 404 });
    }
    expect(upstream.seen.length).toBe(before);
  });
});
