import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { send, sendJson, startUpstream, type TestUpstream } from './helpers/upstream.ts';

describe('proxy path safety', () => {
  let api: TestUpstream;
  let evil: TestUpstream;
  let service: RunningService;
  let evilHost: string;

  beforeAll(async () => {
    api = await startUpstream((req, res) => res.end(JSON.stringify({ url: req.url })));
    evil = await startUpstream((_req, res) => res.end('evil answered'));
    evilHost = `127.0.0.1:${evil.port}`;
    service = await startService({ proxy: { upstreams: { api: `${api.url}/base` } } });
  });
  afterAll(async () => {
    await service.close();
    await Promise.all([api.close(), evil.close()]);
  });

  it('keeps `//host` and `/http://host` in the rest as a path on the configured upstream', async () => {
    for (const rest of [`//${evilHost}/x`, `/http://${evilHost}/x`, `///${evilHost}`, `/@${evilHost}/x`]) {
      const res = await sendJson(service.url, { path: `/proxy/api${rest}` });
      expect(res.status, rest).toBe(200);
      expect(res.json, rest).toEqual({ url: `/base${rest}` });
    }
  });

  it('rejects `..` segments in every encoding with 400 before anything is forwarded', async () => {
    const before = api.seen.length;
    const tricks = ['/../secret', '/a/..', '/%2e%2e/secret', '/%2E%2E/secret', '/%2E./secret', '/.%2e/secret', '/%252e%252e/secret'];
    for (const rest of tricks) {
      const res = await sendJson(service.url, { path: `/proxy/api${rest}` });
      expect(res.status, rest).toBe(400);
      expect(res.json, rest).toMatchObject({ code: 400 });
    }
    expect(api.seen.length).toBe(before);
  });

  // Servlet containers (Tomcat) strip `;parameters` from a segment before resolving it: `..;` is `..`.
  it('rejects `..;` segments, with parameters and in every encoding, with 400', async () => {
    const before = api.seen.length;
    for (const rest of ['/..;/secret', '/a/..;', '/..;jsessionid=1/secret', '/%2e%2e;/secret', '/..%3b/secret', '/%2e%2e%253b/secret']) {
      const res = await sendJson(service.url, { path: `/proxy/api${rest}` });
      expect(res.status, rest).toBe(400);
      expect(res.json, rest).toMatchObject({ code: 400, reason: 'unsafe proxy path: dot-dot segment' });
    }
    expect(api.seen.length).toBe(before);
  });

  it('rejects encoded slashes, backslashes and malformed escapes with 400', async () => {
    const before = api.seen.length;
    for (const rest of ['/a%2f..%2fb', '/a%2F%2E%2E', '/a%5c..', `/%5c%5c${evilHost}`, '/a%252fb', '/%zz', '/a%2']) {
      const res = await sendJson(service.url, { path: `/proxy/api${rest}` });
      expect(res.status, rest).toBe(400);
    }
    const raw = await send(service.url, { path: `/proxy/api/\\\\${evilHost}/x` });
    expect(raw.status).toBe(400);
    expect(api.seen.length).toBe(before);
  });

  it('ignores the authority of an absolute-form request target', async () => {
    const res = await sendJson(service.url, { path: `http://${evilHost}/proxy/api/abs?x=1` });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ url: '/base/abs?x=1' });
    // A path this service has no route for (GET / is the library page): our 404, not evil's 200.
    const outside = await send(service.url, { path: `http://${evilHost}/no-such-route` });
    expect(outside.status).toBe(404);
  });

  it('ignores the Host header the client sends', async () => {
    const res = await sendJson(service.url, { path: '/proxy/api/host', headers: { Host: evilHost } });
    expect(res.json).toEqual({ url: '/base/host' });
    expect(api.seen.at(-1)?.headers.host).toBe(`127.0.0.1:${api.port}`);
  });

  it('treats `@`, `:` and encodings in the name as unknown names (404)', async () => {
    for (const name of [`api@${evilHost}`, `api:x@${evilHost}`, '%61pi', 'http:', '%2e%2e', `${evilHost}`]) {
      const res = await sendJson(service.url, { path: `/proxy/${name}/x` });
      expect(res.status, name).toBe(404);
    }
  });

  // Runs last (tests in a file run in order): a summary over every trick above.
  it('never sent anything to the other server, nor outside the base path of the upstream', () => {
    expect(evil.seen).toEqual([]);
    expect(api.seen.length).toBeGreaterThan(0);
    for (const seen of api.seen) expect(seen.url).toMatch(/^\/base(\/|$)/);
  });
});
