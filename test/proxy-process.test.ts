import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempRoot } from './helpers/app.ts';
import { startServiceProcess, type ServiceProcess } from './helpers/process.ts';
import { send, startUpstream, type TestUpstream } from './helpers/upstream.ts';
import { waitFor } from './helpers/wait.ts';

/** Pino lines printed so far by the process, parsed; anything else it printed (a stack) as a string. */
function outputLines(service: ServiceProcess): Array<Record<string, unknown> | string> {
  return service
    .output()
    .split('\n')
    .filter(Boolean)
    .map((line) => (line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : line));
}

describe('the proxy in a service process at the default log level', () => {
  let root: string;
  let upstream: TestUpstream;
  let service: ServiceProcess;
  beforeAll(async () => {
    root = await tempRoot();
    upstream = await startUpstream((req, res) => req.pipe(res));
    const configFile = path.join(root, 'proxy.json');
    await writeFile(
      configFile,
      JSON.stringify({ storage: { root: path.join(root, 'media') }, proxy: { upstreams: { echo: `${upstream.url}/` } } }),
    );
    service = await startServiceProcess({ CONFIG_FILE: configFile });
  });
  afterAll(async () => {
    await service?.stop('SIGKILL');
    await upstream?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('forwards a request with a body, logs it at info and keeps running', async () => {
    const answer = await send(service.url, {
      method: 'POST',
      path: '/proxy/echo/x',
      headers: { 'X-Request-Id': 'proxied-body' },
      body: 'hi',
    });
    expect(answer.status).toBe(200);
    expect(answer.body.toString()).toBe('hi');
    const line = () =>
      outputLines(service).find((l) => typeof l === 'object' && (l.req as { id?: string } | undefined)?.id === 'proxied-body');
    await waitFor("the proxied request's log line", () => line() !== undefined || service.child.exitCode !== null);
    expect(line()).toMatchObject({
      level: 30,
      route: '/proxy',
      res: { statusCode: 200 },
      req: { method: 'POST', remoteAddress: '127.0.0.1' },
    });

    expect((await send(service.url, { path: '/healthz' })).status).toBe(200);
    expect(service.child.exitCode).toBeNull();
    expect(outputLines(service).filter((l) => typeof l === 'string' || Number(l.level) >= 50)).toEqual([]);
  });

  it('answers a request under /proxy/ (ahead of the router) as the router answers /PROXY/: headers, body, errors, log line, metrics', async () => {
    const through = async (prefix: string, name: string) => {
      const id = `${prefix.slice(1)}-${name}`;
      const answer = await send(service.url, {
        method: 'POST',
        path: `${prefix}/${name}/x?q=1`,
        headers: { 'X-Request-Id': id },
        body: 'hi',
      });
      const line = () => outputLines(service).find((l) => typeof l === 'object' && (l.req as { id?: string } | undefined)?.id === id);
      await waitFor(`the log line of ${id}`, () => line() !== undefined);
      const { time, pid, hostname, req, responseTime, ...logged } = line() as Record<string, unknown>;
      expect([time, pid, hostname, responseTime].every((field) => field !== undefined)).toBe(true);
      const { id: loggedId, url, ...request } = req as Record<string, unknown>;
      expect([loggedId, url]).toEqual([id, `${prefix}/${name}/x?q=1`]);
      const { date, 'x-request-id': echoed, ...headers } = answer.headers;
      expect([typeof date, echoed]).toEqual(['string', id]);
      // The router's label keeps the spelling the request used (its route is `/PROXY` there).
      const route = String(logged.route);
      expect(route).toBe(prefix);
      const sameSpelling = { ...logged, route: '/proxy', msg: String(logged.msg).replace(prefix, '/proxy') };
      return { status: answer.status, headers, body: answer.body.toString(), logged: sameSpelling, request };
    };
    const count = async (status: number) => {
      const text = (await send(service.url, { path: '/metrics' })).body.toString();
      const pattern = new RegExp(`^http_requests_total\\{route="/proxy",method="POST",status="${status}"\\} (\\d+)$`, 'm');
      return Number(pattern.exec(text)?.[1] ?? 0);
    };
    const before = [await count(200), await count(404)];
    const forwarded = await through('/proxy', 'echo');
    expect(forwarded).toMatchObject({ status: 200, body: 'hi', logged: { route: '/proxy', res: { statusCode: 200 } } });
    expect(await through('/PROXY', 'echo')).toEqual(forwarded);
    const unknown = await through('/proxy', 'none');
    expect(unknown).toMatchObject({ status: 404, logged: { route: '/proxy', code: 404, res: { statusCode: 404 } } });
    expect(JSON.parse(unknown.body)).toEqual({ code: 404, reason: 'no upstream named "none"' });
    expect(await through('/PROXY', 'none')).toEqual(unknown);
    expect([await count(200), await count(404)]).toEqual([before[0]! + 1, before[1]! + 1]);
  });
});
