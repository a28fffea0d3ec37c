import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { exitOf, runToEnd, type Ran } from './helpers/process.ts';
import { README, README_URL, section } from './helpers/readme.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';
import { waitFor } from './helpers/wait.ts';

/** The rows of "The same with curl": the call and its commands (a cell's later commands are bare paths). */
const rows = [...section(README, '### The same with curl').matchAll(/^\| ([^|]+) \| `(curl [^`]+)`/gm)].map((match) => ({
  call: match[1]!.trim(),
  command: match[2]!,
}));

/** What each call's answer must show, by the table's `call` column. */
const expected: Record<string, (stdout: string, dir: string) => Promise<void> | void> = {
  'upload, multipart': (out) => expect(JSON.parse(out)).toMatchObject({ code: 200, files: [{ directory: 'songs', filename: 'tone.mp3' }] }),
  'upload, urlencoded': (out) =>
    expect(JSON.parse(out)).toMatchObject({ code: 200, files: [{ directory: 'songs', filename: 'tone.wav' }] }),
  list: (out) => expect(JSON.parse(out)).toMatchObject({ code: 200, files: [{ filename: 'tone.mp3' }, { filename: 'tone.wav' }] }),
  'download (a range)': async (_out, dir) => expect(await readFile(path.join(dir, 'part.mp3'))).toHaveLength(100),
  'headers only': (out) => expect(out).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*^Content-Length: 4896\r$/m),
  delete: (out) => expect(JSON.parse(out)).toMatchObject({ code: 200, deleted: true }),
  proxy: (out) => expect(out).toBe('hello from the upstream\n'),
  'health, readiness, metrics': (out) => expect(JSON.parse(out)).toEqual({ status: 'ok' }),
};

function curl(command: string, cwd: string): Promise<Ran> {
  return runToEnd('bash', ['-c', command], cwd, { PATH: process.env.PATH ?? '' });
}

describe('the README curl table (### The same with curl), each row in order against a service with a `files` upstream', () => {
  let service: RunningService;
  let upstream: TestUpstream;
  let dir: string;
  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      if (req.url === '/hello.txt') res.end('hello from the upstream\n');
      else res.writeHead(404).end();
    });
    service = await startService({ proxy: { upstreams: { files: `${upstream.url}/` } } });
    dir = await mkdtemp(path.join(os.tmpdir(), 'readme-curl-'));
    for (const file of ['tone.mp3', 'tone.wav']) await copyFile(new URL(`fixtures/${file}`, import.meta.url), path.join(dir, file));
  });
  afterAll(async () => {
    await service?.close();
    await upstream?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('has a check for every row but the chat handshake', () => {
    expect(rows.map((row) => row.call)).toEqual([...Object.keys(expected), 'chat handshake']);
  });

  it.each(rows.filter((row) => row.call in expected).map((row) => [row.call, row] as const))('%s', async (_call, row) => {
    const ran = await curl(row.command.replaceAll(README_URL, service.url), dir);
    expect(ran.status, ran.stderr).toBe(0);
    await expected[row.call]!(ran.stdout, dir);
  });

  it('chat handshake: 101, then the history frame (curl keeps reading frames; stopped by PID)', async () => {
    const row = rows.find((entry) => entry.call === 'chat handshake')!;
    const child = spawn('bash', ['-c', row.command.replaceAll(README_URL, service.url)], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    try {
      await waitFor('101 and the history frame', () => /^HTTP\/1\.1 101 /.test(output) && output.includes('"type":"history"'), 15_000);
    } finally {
      child.kill('SIGTERM');
      await exitOf(child);
    }
  });
});
