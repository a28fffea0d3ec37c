import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempRoot } from './helpers/app.ts';
import { exitOf, freePort, isRunning, projectRoot, spawnService, startServiceProcess } from './helpers/process.ts';
import { waitFor } from './helpers/wait.ts';

/** Runs the service expecting it not to start: its exit code and stderr lines. */
async function failedStart(env: Record<string, string>): Promise<{ code: number | null; lines: string[] }> {
  const child = spawnService(env);
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const code = await exitOf(child);
  return { code, lines: stderr.trimEnd().split('\n') };
}

/** A loopback server holding a port, as another program would. */
async function occupiedPort(): Promise<{ port: number; release: () => Promise<void> }> {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  return {
    port: (holder.address() as net.AddressInfo).port,
    release: () => new Promise((resolve) => holder.close(() => resolve())),
  };
}

describe('the service process', () => {
  const roots: string[] = [];
  afterAll(async () => {
    await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
  });

  it('starts on the environment, answers /healthz and exits 0 on SIGTERM', async () => {
    const root = await tempRoot();
    roots.push(root);
    const service = await startServiceProcess({ UPLOAD_DIR: root, HOST: '127.0.0.1' });
    try {
      const res = await fetch(`${service.url}/healthz`);
      expect(res.status).toBe(200);
      expect(service.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      expect(await service.stop('SIGTERM')).toBe(0);
    }
  });

  it('reports every bad value at once, one line each', async () => {
    const { code, lines } = await failedStart({ PORT: 'eighty', LOG_LEVEL: 'loud' });
    expect(code).toBe(1);
    expect(lines.sort()).toEqual([
      expect.stringMatching(/^invalid config: log\.level \(from LOG_LEVEL\): /),
      expect.stringMatching(/^invalid config: server\.port \(from PORT\): /),
    ]);
  });

  it.each([1, 2])('says in one line that the port is taken (workers: %i)', async (workers) => {
    const root = await tempRoot();
    roots.push(root);
    const configFile = path.join(root, 'config.json');
    await writeFile(configFile, JSON.stringify({ server: { workers }, storage: { root: path.join(root, 'media') } }));
    const taken = await occupiedPort();
    try {
      const { code, lines } = await failedStart({ CONFIG_FILE: configFile, PORT: String(taken.port) });
      expect(code).toBe(1);
      expect(lines).toEqual([
        `cannot listen on 127.0.0.1:${taken.port} (server.port, server.host): the address is already in use (another process listens there)`,
      ]);
    } finally {
      await taken.release();
    }
  });

  it('says in one line that UPLOAD_DIR is a file', async () => {
    const root = await tempRoot();
    roots.push(root);
    const file = path.join(root, 'not-a-dir');
    await writeFile(file, 'x');
    for (const uploadDir of [file, path.join(file, 'below')]) {
      const { code, lines } = await failedStart({ UPLOAD_DIR: uploadDir, PORT: '0' });
      expect(code).toBe(1);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^cannot use storage\\.root \\(UPLOAD_DIR\\) ${uploadDir}: .*(file|not a directory)`));
    }
  });

  it('creates only the last level of UPLOAD_DIR and refuses a missing parent in one line', async () => {
    const root = await tempRoot();
    roots.push(root);
    const { code, lines } = await failedStart({ UPLOAD_DIR: path.join(root, 'nonexistent', 'deep', 'dir'), PORT: '0' });
    expect(code).toBe(1);
    expect(lines).toEqual([
      `cannot use storage.root (UPLOAD_DIR) ${path.join(root, 'nonexistent', 'deep', 'dir')}: its parent ${path.join(root, 'nonexistent', 'deep')} does not exist (create it first)`,
    ]);
    expect(existsSync(path.join(root, 'nonexistent'))).toBe(false);

    const service = await startServiceProcess({ UPLOAD_DIR: path.join(root, 'media') });
    expect(existsSync(path.join(root, 'media'))).toBe(true);
    const stopped = await service.stop('SIGTERM');
    // Once seen ending by a signal (code null) on a loaded CI machine: say which, with its output.
    expect(stopped, `ended by ${service.child.signalCode}: ${service.output()}`).toBe(0);
  });

  it('refuses to start on a bad value with one line naming the key', async () => {
    const child = spawnService({ PORT: 'eighty' });
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    expect(await exitOf(child)).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/server\.port \(from PORT\)/);
  });
});

describe('npm start', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('serves from dist/ (building it when stale) and stops gracefully, exit 0, when the npm process gets SIGTERM', async () => {
    const root = await tempRoot();
    cleanup.push(() => rm(root, { recursive: true, force: true }));
    const port = await freePort();
    const healthz = `http://127.0.0.1:${port}/healthz`;
    const npm = spawn('npm', ['start'], {
      cwd: projectRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), UPLOAD_DIR: root },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout!.on('data', (chunk) => (output += chunk));
    npm.stderr!.on('data', (chunk) => (output += chunk));
    cleanup.push(async () => npm.exitCode === null && npm.signalCode === null && npm.kill('SIGKILL'));
    const servicePid = () => Number(/"pid":(\d+)[^\n]*"msg":"listening on/.exec(output)?.[1]);
    cleanup.push(async () => servicePid() && isRunning(servicePid()) && process.kill(servicePid(), 'SIGKILL'));

    // A fresh clone builds dist/ first (tsc, tens of seconds on a busy machine).
    await waitFor(
      'a healthy answer',
      async () =>
        (await fetch(healthz).then(
          (res) => res.status,
          () => 0,
        )) === 200,
      150_000,
      200,
    );
    const pid = servicePid();
    expect(pid).toBeGreaterThan(0);
    expect(pid).not.toBe(npm.pid);

    npm.kill('SIGTERM');
    expect(await exitOf(npm, 30_000)).toBe(0);
    expect(output).toContain('"msg":"stopped"');
    await expect(fetch(healthz)).rejects.toThrow();
    expect(isRunning(pid)).toBe(false);
  }, 200_000);
});
