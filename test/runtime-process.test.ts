import { readdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempRoot } from './helpers/app.ts';
import { filesUnder, fixture } from './helpers/media.ts';
import { exitOf, freePort, isRunning, startServiceProcess, type ServiceProcess } from './helpers/process.ts';
import { waitFor } from './helpers/wait.ts';

/** GET on a fresh connection each time, so the cluster spreads them over its workers. */
function getFresh(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      })
      .on('error', reject);
  });
}

/** Pino lines printed so far by the process, parsed. */
function logLines(service: ServiceProcess): Array<Record<string, unknown>> {
  return service
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const listeningPids = (service: ServiceProcess) =>
  logLines(service)
    .filter((line) => String(line.msg).startsWith('listening on'))
    .map((line) => line.pid as number);

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

describe('cluster mode', () => {
  const started: ServiceProcess[] = [];
  afterAll(async () => {
    await Promise.all(started.map((service) => service.stop('SIGKILL')));
  });

  it('answers from both workers, replaces a killed one and stops gracefully on SIGTERM', async () => {
    const root = await tempRoot();
    roots.push(root);
    const configFile = path.join(root, 'cluster.json');
    await writeFile(configFile, JSON.stringify({ server: { workers: 2 }, storage: { root: path.join(root, 'media') } }));
    const service = await startServiceProcess({ CONFIG_FILE: configFile });
    started.push(service);
    await waitFor('two workers listening', () => listeningPids(service).length === 2, 25_000);

    for (let i = 0; i < 20; i++) expect(await getFresh(`${service.url}/healthz`)).toBe(200);
    const answering = new Set(
      logLines(service)
        .filter((line) => line.msg === 'GET /healthz 200')
        .map((line) => line.pid),
    );
    expect(answering.size).toBe(2);
    expect(logLines(service).some((line) => String(line.msg).startsWith('chat.redisUrl is not set'))).toBe(true);

    const [victim] = listeningPids(service);
    process.kill(victim!, 'SIGKILL');
    await waitFor('a replacement worker', () => listeningPids(service).length === 3, 15_000);
    expect(logLines(service).some((line) => line.msg === 'worker died; replacing it' && line.pid === victim)).toBe(true);
    expect(await getFresh(`${service.url}/healthz`)).toBe(200);

    const metrics = await fetch(`${service.url}/metrics`).then((res) => res.text());
    const healthz = /^http_requests_total\{route="\/healthz",method="GET",status="200"\} (\d+)$/m.exec(metrics);
    expect(Number(healthz?.[1])).toBeGreaterThanOrEqual(1);

    expect(await service.stop('SIGTERM')).toBe(0);
    expect(logLines(service).some((line) => line.msg === 'all workers stopped')).toBe(true);
  }, 60_000);
});

describe('cluster primary when workers die', () => {
  const started: ServiceProcess[] = [];
  afterAll(async () => {
    await Promise.all(started.map((service) => service.stop('SIGKILL')));
  });

  async function startCluster(server: Record<string, unknown>): Promise<ServiceProcess> {
    const root = await tempRoot();
    roots.push(root);
    const configFile = path.join(root, 'cluster.json');
    await writeFile(configFile, JSON.stringify({ server: { workers: 2, ...server }, storage: { root: path.join(root, 'media') } }));
    // A fixed port: once every worker is gone the primary closes the shared socket, and PORT=0
    // would give the replacements another one.
    const service = await startServiceProcess({ CONFIG_FILE: configFile, PORT: String(await freePort()) });
    started.push(service);
    await waitFor('two workers listening', () => listeningPids(service).length === 2, 25_000);
    return service;
  }
  const deathLines = (service: ServiceProcess) => logLines(service).filter((line) => String(line.msg).startsWith('worker died'));

  it('replaces both workers when both are killed at once, logging each death', async () => {
    const service = await startCluster({});
    const victims = listeningPids(service);
    for (const pid of victims) process.kill(pid, 'SIGKILL');
    await waitFor('two replacement workers', () => listeningPids(service).length === 4, 20_000);
    expect(service.child.exitCode).toBeNull();
    const deaths = deathLines(service);
    expect(deaths.map((line) => line.pid).sort()).toEqual([...victims].sort());
    for (const line of deaths) expect(line).toMatchObject({ level: 50, signal: 'SIGKILL', code: null, msg: 'worker died; replacing it' });
    expect(await getFresh(`${service.url}/healthz`)).toBe(200);
    expect(await service.stop('SIGTERM')).toBe(0);
  }, 60_000);

  it('gives up with exit 1 once workerDeathLimit workers died within the window, leaving no worker', async () => {
    const service = await startCluster({ workerDeathLimit: 3, workerDeathWindowMs: 600_000 });
    for (const pid of listeningPids(service)) process.kill(pid, 'SIGKILL');
    // Three or more listening: both dead workers are replaced, and both replacements may be up by the next look.
    await waitFor('a replacement worker', () => listeningPids(service).length >= 3, 20_000);
    const third = listeningPids(service)[2]!;
    process.kill(third, 'SIGKILL');
    expect(await exitOf(service.child)).toBe(1);
    const last = deathLines(service).at(-1);
    expect(last).toMatchObject({ pid: third, signal: 'SIGKILL', deaths: 3, msg: 'worker died; too many deaths, giving up' });
    await waitFor('every worker gone', () => listeningPids(service).every((pid) => !isRunning(pid)));
  }, 60_000);
});

describe('graceful stop', () => {
  it('finishes an upload in flight on SIGTERM, stores it and exits 0 with no temp file left', async () => {
    const root = await tempRoot();
    roots.push(root);
    const service = await startServiceProcess({ UPLOAD_DIR: root });
    const boundary = 'sigterm-boundary';
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="late"; filename="during-stop.mp3"\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const body = Buffer.concat([fixture('tone.mp3'), Buffer.alloc(4 * 1024 * 1024, 1)]);
    const req = http.request(`${service.url}/media`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': head.length + body.length + tail.length },
    });
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk)).on('end', () => resolve({ status: res.statusCode!, text }));
      });
      req.on('error', reject);
    });
    req.write(head);
    req.write(body.subarray(0, 1024 * 1024));
    // The service runs in another process: its staging is seen on disk, as its local backend lays it out.
    await waitFor('the upload to reach disk', async () => (await readdir(path.join(root, '.incoming'))).length > 0);

    const exited = service.stop('SIGTERM');
    await waitFor('the stop to begin', () => service.output().includes('"msg":"stopping"'));
    req.end(Buffer.concat([body.subarray(1024 * 1024), tail]));
    const { status, text } = await answer;
    expect(status).toBe(200);
    expect(JSON.parse(text).files[0]).toMatchObject({ filename: 'during-stop.mp3', size: body.length });
    expect(await exited).toBe(0);
    expect(await filesUnder(root)).toEqual([path.join('late', 'during-stop.mp3')]);
  }, 30_000);
});
