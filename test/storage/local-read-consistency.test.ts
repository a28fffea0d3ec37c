import { mkdir, readdir, rename, rm, rmdir, symlink, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, tempRoot, type RunningService } from '../helpers/app.ts';
import { sha256, uniqueMp3 } from '../helpers/media.ts';
import { startServiceProcess, type ServiceProcess } from '../helpers/process.ts';
import { upload } from '../helpers/upload.ts';

interface Listed {
  filename: string;
  size: number;
  sha256: string;
}

async function listed(url: string, directory: string): Promise<Listed[]> {
  const res = await fetch(`${url}/media?directory=${directory}&limit=1000`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { files: Listed[] }).files.map(({ filename, size, sha256: digest }) => ({
    filename,
    size,
    sha256: digest,
  }));
}

const described = (filename: string, bytes: Buffer): Listed => ({ filename, size: bytes.length, sha256: sha256(bytes) });

function count(outcomes: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}

/**
 * Parks the directory, puts a symlink to `outside` in its place for a moment, then moves the
 * directory back. An upload may create a new directory under the name meanwhile: its files join
 * the parked one.
 */
async function swapThroughSymlink(directory: string, parked: string, outside: string): Promise<void> {
  await rename(directory, parked);
  await symlink(outside, directory).catch(() => undefined);
  for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
  await unlink(directory).catch(() => undefined);
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      await rename(parked, directory);
      return;
    } catch (error) {
      if (!['ENOTEMPTY', 'EEXIST', 'EISDIR'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
      for (const name of await readdir(directory).catch(() => []))
        await rename(path.join(directory, name), path.join(parked, name)).catch(() => undefined);
      await rmdir(directory).catch(() => undefined);
    }
  }
  throw new Error(`could not move ${parked} back to ${directory}`);
}

describe('local backend: listings hold to the files', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService();
  });
  afterAll(() => service.close());

  it('shows the new size and sha256 after a hand replace (rm and a new file of the same name)', async () => {
    const first = uniqueMp3('first');
    await upload(service.url, 'multipart', { directory: 'hand', filename: 'song.mp3', bytes: first });
    expect(await listed(service.url, 'hand')).toEqual([described('song.mp3', first)]);
    const second = Buffer.concat([uniqueMp3('second, by hand'), Buffer.alloc(1000, 1)]);
    await unlink(path.join(service.root, 'hand', 'song.mp3'));
    await writeFile(path.join(service.root, 'hand', 'song.mp3'), second);
    expect(await listed(service.url, 'hand')).toEqual([described('song.mp3', second)]);
  });

  it('shows each directory its own files after two directories are swapped by hand', async () => {
    const inX = uniqueMp3('x');
    const inY = Buffer.concat([uniqueMp3('y'), Buffer.alloc(500, 2)]);
    await upload(service.url, 'multipart', { directory: 'x', filename: 'same.mp3', bytes: inX });
    await upload(service.url, 'multipart', { directory: 'y', filename: 'same.mp3', bytes: inY });
    expect(await listed(service.url, 'x')).toEqual([described('same.mp3', inX)]);
    expect(await listed(service.url, 'y')).toEqual([described('same.mp3', inY)]);
    await rename(path.join(service.root, 'x'), path.join(service.root, 'swap'));
    await rename(path.join(service.root, 'y'), path.join(service.root, 'x'));
    await rename(path.join(service.root, 'swap'), path.join(service.root, 'y'));
    expect(await listed(service.url, 'x')).toEqual([described('same.mp3', inY)]);
    expect(await listed(service.url, 'y')).toEqual([described('same.mp3', inX)]);
  });

  it('swapping a directory and a symlink to outside while requests run: no read or upload reaches outside', async () => {
    const outside = await tempRoot('outside-');
    const inside = uniqueMp3('inside');
    const secret = uniqueMp3('outside the root');
    await writeFile(path.join(outside, 'same.mp3'), secret);
    await upload(service.url, 'multipart', { directory: 'swing', filename: 'same.mp3', bytes: inside });
    const swing = path.join(service.root, 'swing');
    const parked = path.join(service.root, 'swing-parked');
    const outcomes: string[] = [];
    let leftOutside: string[] = [];
    try {
      let reading = true;
      // Swaps as long as the requests run (bounded), so they meet the directory in every state.
      const swapping = (async () => {
        for (let flip = 0; reading && flip < 5000; flip++) {
          await swapThroughSymlink(swing, parked, outside);
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      })();
      const reads = Array.from({ length: 4 }, async () => {
        for (let i = 0; i < 60; i++) {
          const res = await fetch(`${service.url}/media/swing/same.mp3`);
          const body = Buffer.from(await res.arrayBuffer());
          outcomes.push(
            res.status !== 200 ? `GET ${res.status}` : body.equals(secret) ? 'outside' : body.equals(inside) ? 'inside' : 'other',
          );
        }
      });
      const uploads = Array.from({ length: 2 }, async (_, lane) => {
        for (let i = 0; i < 40; i++) {
          const bytes = uniqueMp3(`${lane}-${i}`);
          const res = await upload(service.url, 'multipart', { directory: 'swing', filename: `new-${lane}-${i}.mp3`, bytes });
          outcomes.push(`upload ${res.status}${res.status >= 500 ? ` ${JSON.stringify(res.body)}` : ''}`);
        }
      });
      await Promise.all([...reads, ...uploads]);
      reading = false;
      await swapping;
      leftOutside = await readdir(outside);
    } finally {
      await rm(outside, { recursive: true, force: true }).catch(() => undefined);
    }
    const counts = count(outcomes);
    expect(leftOutside).toEqual(['same.mp3']);
    expect(counts.outside).toBeUndefined();
    expect(counts.other).toBeUndefined();
    expect(counts.inside).toBeGreaterThan(0);
    expect(Object.keys(counts).filter((outcome) => /^(status|upload) 5/.test(outcome))).toEqual([]);
  });
});

describe('local backend: a listing under churn with two processes on one root', () => {
  const running: ServiceProcess[] = [];
  let root: string;
  afterAll(async () => {
    await Promise.all(running.map((service) => service.stop('SIGKILL')));
    await rm(root, { recursive: true, force: true });
  });

  it('never answers 500 and lists each file with its own size and sha256', async () => {
    root = await tempRoot('churn-two-');
    await mkdir(path.join(root, 'churn'));
    const [a, b] = await Promise.all([startServiceProcess({ UPLOAD_DIR: root }), startServiceProcess({ UPLOAD_DIR: root })]);
    running.push(a!, b!);
    const known = new Set<string>();
    const statuses: string[] = [];
    let stray = 0;
    const names = Array.from({ length: 10 }, (_, i) => `f${i}.mp3`);
    for (let round = 0; round < 30; round++) {
      const writers = names.map(async (name, i) => {
        const writer = i % 2 ? a! : b!;
        if ((round + i) % 2) {
          await fetch(`${writer.url}/media?directory=churn&filename=${name}`, { method: 'DELETE' });
          return;
        }
        const bytes = Buffer.concat([uniqueMp3(`${name}-${round}`), Buffer.alloc(i % 3 ? 0 : 300 * 1024, i)]);
        known.add(`${name}:${bytes.length}:${sha256(bytes)}`);
        await upload(writer.url, 'multipart', { directory: 'churn', filename: name, bytes });
      });
      const listings = [a!, b!, a!, b!].map(async (reader) => {
        const res = await fetch(`${reader.url}/media?directory=churn&limit=100`);
        statuses.push(String(res.status));
        if (res.status !== 200) return;
        for (const file of ((await res.json()) as { files: Listed[] }).files) {
          if (!known.has(`${file.filename}:${file.size}:${file.sha256}`)) stray += 1;
        }
      });
      await Promise.all([...writers, ...listings]);
    }
    expect(count(statuses)).toEqual({ 200: statuses.length });
    expect(stray).toBe(0);
  }, 60_000);
});
