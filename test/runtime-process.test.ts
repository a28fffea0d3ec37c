import { readdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempRoot } from './helpers/app.ts';
import { filesUnder, fixture } from './helpers/media.ts';
import { startServiceProcess, type ServiceProcess } from './helpers/process.ts';
import { waitFor } from './helpers/wait.ts';

/** GET on a fresh connection each time, so the cluster spreads them over its workers. */
function getFresh(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    }).on('error', reject);
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
  logLines(service).filter((line) => String(line.msg).startsWith('listening on')).map((line) => line.pid as number);

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
    await waitFor('two workers listening', () => listeningPids(service).length === 2, 15_000);

    for (let i = 0; i < 20; i++) expect(await getFresh(`${service.url}/healthz`)).toBe(200);
    const answering = new Set(logLines(service).filter((line) => line.msg === 'GET /healthz 200').map((line) => line.pid));
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
