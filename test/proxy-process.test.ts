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
});
