import { randomBytes } from 'node:crypto';
import { cp, link, mkdir, open, readdir, rm, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INDEX_DIR } from '../../src/storage/local/local-store.ts';
import { INDEX_FILE } from '../../src/storage/local/index-keeper.ts';
import { tempRoot, type LogLine } from '../helpers/app.ts';
import { multipartBody, sha256, uniqueMp3 } from '../helpers/media.ts';
import { startServiceProcess, type ServiceProcess } from '../helpers/process.ts';
import { waitFor } from '../helpers/wait.ts';

const DIRECTORIES = ['a', 'b', 'c'];
const PER_DIRECTORY = 70;
const PAGE_BYTES = 4096;
const LARGE_BYTES = 1024 ** 2;
const DAMAGED = 'metadata index damaged: set aside, rebuilding it from the files';

const indexFile = (root: string) => path.join(root, INDEX_DIR, INDEX_FILE);
/** Rounds of each damage while running, each with its own random bytes (index-damage-battery.test.ts runs 20 per damage in one process). */
const SEEDS = 1;
/** Restarts of the service on a damaged index (index-damage-battery.test.ts restarts the index itself 20 times per damage). */
const RESTARTS = 2;
const bytesOf = (directory: string, i: number) => uniqueMp3(`${directory}-${i}`);

/** Writes random bytes over `length` bytes of the index file from `offset` (its size unchanged). */
async function overwrite(file: string, offset: number, length: number): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.write(randomBytes(length), 0, length, offset);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The damages of issue 29, each applied to the index file of a stopped or running service. */
const damages: Record<string, (file: string) => Promise<void>> = {
  'random bytes in it': async (file) => overwrite(file, 0, (await stat(file)).size),
  // The first two pages hold the file's header and its table of tables: the rest holds the B-trees.
  'garbage in its data pages': async (file) => overwrite(file, 2 * PAGE_BYTES, (await stat(file)).size - 2 * PAGE_BYTES),
  'the file truncated to half': async (file) => truncate(file, Math.floor((await stat(file)).size / 2 / PAGE_BYTES) * PAGE_BYTES),
};

function logLines(service: ServiceProcess): LogLine[] {
  return service
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** Lines logged at error or above, other than the access log's (a 503 from /readyz while rebuilding is one). */
function errorLines(service: ServiceProcess): LogLine[] {
  return logLines(service).filter((line) => line.level >= 50 && !('req' in line));
}

/** Lines of a raw stack trace the process printed outside its JSON lines. */
function stackLines(service: ServiceProcess): string[] {
  return service
    .output()
    .split('\n')
    .filter((line) => /^\s+at /.test(line));
}

/** Each directory lists every file seeded in it, with its own size and sha256. */
async function expectWholeListing(url: string): Promise<void> {
  for (const directory of DIRECTORIES) {
    const res = await fetch(`${url}/media?directory=${directory}&limit=1000`);
    expect(res.status).toBe(200);
    const { files } = (await res.json()) as { files: Array<{ filename: string; size: number; sha256: string }> };
    const expected = Array.from({ length: PER_DIRECTORY }, (_, i) => {
      const bytes = bytesOf(directory, i);
      return { filename: `f${String(i).padStart(3, '0')}.mp3`, size: bytes.length, sha256: sha256(bytes) };
    });
    expect(files.map(({ filename, size, sha256: digest }) => ({ filename, size, sha256: digest }))).toEqual(expected);
  }
}

async function expectDownload(url: string, directory: string, i: number): Promise<void> {
  const res = await fetch(`${url}/media/${directory}/f${String(i).padStart(3, '0')}.mp3`);
  expect(res.status).toBe(200);
  const bytes = bytesOf(directory, i);
  expect(res.headers.get('etag')).toBe(`"${sha256(bytes)}"`);
  expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
}

/** A large file (sparse: no disk used) in `directory`: a rebuild describes it as it does the small ones. */
async function bigFile(root: string, directory: string): Promise<void> {
  await mkdir(path.join(root, directory), { recursive: true });
  const big = await open(path.join(root, directory, 'large.mp3'), 'w');
  await big.truncate(LARGE_BYTES);
  await big.close();
}

const readyz = async (url: string) => (await fetch(`${url}/readyz`)).json() as Promise<{ status: string; problems?: string[] }>;

// Each test starts and damages real service processes: under a loaded CI machine they need more than the default.
describe('local backend: a damaged metadata index', { timeout: 90_000 }, () => {
  let seeded: string;
  const roots: string[] = [];
  const running: ServiceProcess[] = [];

  async function serve(root: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
    const service = await startServiceProcess({ UPLOAD_DIR: root, LOG_LEVEL: 'info', ...env });
    running.push(service);
    return service;
  }

  /** A service whose rebuilds wait at their start until told to go on (resume), so a test sees one under way. */
  async function serveHoldingRebuilds(root: string): Promise<ServiceProcess> {
    return serve(root, { MEDIA_PAUSE_POINT: 'index-rebuild' });
  }

  /** Resolves once the service's rebuild is held at its start; SIGUSR2 then lets it go on (see fault-points.ts). */
  const rebuildHeld = (service: ServiceProcess) =>
    waitFor('the rebuild held at its start', () => service.output().includes('paused at index-rebuild'), 20_000);

  /**
   * A copy of the seeded root, for one damage: its index copied, its files hard-linked (the same
   * inode, size and mtime), so their entries still match and the running service reads them from
   * the index file itself instead of describing them anew.
   */
  async function seededCopy(): Promise<string> {
    const root = await tempRoot('index-damage-');
    roots.push(root);
    await cp(path.join(seeded, INDEX_DIR), path.join(root, INDEX_DIR), { recursive: true });
    for (const directory of DIRECTORIES) {
      await mkdir(path.join(root, directory));
      for (const name of await readdir(path.join(seeded, directory)))
        await link(path.join(seeded, directory, name), path.join(root, directory, name));
    }
    return root;
  }

  beforeAll(async () => {
    seeded = await tempRoot('index-seed-');
    roots.push(seeded);
    const service = await serve(seeded);
    for (const directory of DIRECTORIES) {
      for (let i = 0; i < PER_DIRECTORY; i++) {
        const file = { name: 'file', filename: `f${String(i).padStart(3, '0')}.mp3`, body: bytesOf(directory, i) };
        const { body, contentType } = multipartBody([{ name: 'directory', body: directory }, file]);
        const res = await fetch(`${service.url}/media`, { method: 'POST', body, headers: { 'Content-Type': contentType } });
        expect(res.status).toBe(200);
      }
    }
    expect(await service.stop()).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(running.map((service) => service.stop('SIGKILL')));
    await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
  });

  for (const [damage, apply] of Object.entries(damages)) {
    it(`starts with ${damage}: sets it aside, logs it once at error, lists and serves everything`, async () => {
      const root = await seededCopy();
      await apply(indexFile(root));
      const service = await serve(root);
      await expectWholeListing(service.url);
      await expectDownload(service.url, 'b', 7);
      await waitFor('the rebuild', async () => (await readyz(service.url)).status === 'ready', 20_000);
      await expectWholeListing(service.url);
      expect(await service.stop()).toBe(0);
      const errors = errorLines(service);
      expect(errors.map((line) => line.msg)).toEqual([DAMAGED]);
      const keptAt = String(errors[0]!.keptAt);
      expect(path.dirname(keptAt)).toBe(root);
      expect(path.basename(keptAt)).toMatch(/^\.index-damaged-/);
      // Kept for inspection as it was found.
      expect((await readdir(keptAt)).sort()).toContain(INDEX_FILE);
      expect(stackLines(service)).toEqual([]);
    });
  }

  /** After a damage while running: the same answers as before, `/readyz` back to ready, then (stopped) one error line and the index kept aside once. */
  async function expectHealed(service: ServiceProcess, root: string): Promise<void> {
    for (let round = 0; round < 2; round++) {
      await expectWholeListing(service.url);
      for (const directory of DIRECTORIES) await expectDownload(service.url, directory, round * 11);
    }
    await waitFor('the rebuild', async () => (await readyz(service.url)).status === 'ready', 20_000);
    await expectWholeListing(service.url);
    // Still the process that met the damage; stopped only now, so that its log is written out whole.
    expect(await service.stop()).toBe(0);
    expect(service.child.signalCode).toBeNull();
    expect(errorLines(service).map((line) => line.msg)).toEqual([DAMAGED]);
    expect((await readdir(root)).filter((name) => name.startsWith('.index-damaged-'))).toHaveLength(1);
    expect(stackLines(service)).toEqual([]);
  }

  /** A restart on the root: it starts, lists, takes an upload and stops cleanly (exit 0, no signal). */
  async function expectRestart(root: string, tag: string): Promise<void> {
    const service = await serve(root);
    await expectWholeListing(service.url);
    const { body, contentType } = multipartBody([
      { name: 'directory', body: 'a' },
      { name: 'file', filename: `restart-${tag}.mp3`, body: uniqueMp3(tag) },
    ]);
    const res = await fetch(`${service.url}/media`, { method: 'POST', body, headers: { 'Content-Type': contentType } });
    expect(res.status).toBe(200);
    expect(await service.stop()).toBe(0);
    expect(service.child.signalCode).toBeNull();
    expect(stackLines(service)).toEqual([]);
  }

  for (let seed = 0; seed < SEEDS; seed++) {
    it(`gets garbage in its data pages while running (round ${seed + 1}): answers from the files, sets it aside once, rebuilds, lives on`, async () => {
      const root = await seededCopy();
      const service = await serve(root);
      await expectWholeListing(service.url);
      await damages['garbage in its data pages']!(indexFile(root));
      await expectHealed(service, root);
      await expectRestart(root, `garbage-${seed}`);
    });
  }

  it('is cut short while running: never read past its end, says so on /readyz while rebuilding, the process lives on', async () => {
    const root = await seededCopy();
    const service = await serveHoldingRebuilds(root);
    await expectWholeListing(service.url);
    await damages['the file truncated to half']!(indexFile(root));
    await expectWholeListing(service.url);
    await rebuildHeld(service);
    const during = await readyz(service.url);
    expect(during.status).toBe('unavailable');
    expect(during.problems).toContain('metadata index damaged: rebuilding it from the files');
    service.child.kill('SIGUSR2');
    await expectHealed(service, root);
    await expectRestart(root, 'cut');
  });

  it(`starts on an index damaged while it was stopped, again and again: never aborts (${RESTARTS} tries)`, async () => {
    for (let attempt = 0; attempt < RESTARTS; attempt++) {
      const root = await seededCopy();
      await damages[attempt % 2 ? 'garbage in its data pages' : 'random bytes in it']!(indexFile(root));
      await expectRestart(root, `damaged-${attempt}`);
      await rm(root, { recursive: true, force: true });
    }
  }, 120_000);

  it('says on /readyz that the index is being rebuilt, until it is', async () => {
    const root = await seededCopy();
    await bigFile(root, 'a');
    await damages['random bytes in it']!(indexFile(root));
    const service = await serveHoldingRebuilds(root);
    await rebuildHeld(service);
    const during = await readyz(service.url);
    expect(during.status).toBe('unavailable');
    expect(during.problems).toContain('metadata index damaged: rebuilding it from the files');
    service.child.kill('SIGUSR2');
    await waitFor('the rebuild', async () => (await readyz(service.url)).status === 'ready', 30_000, 100);
    const res = await fetch(`${service.url}/media?directory=a&limit=1000`);
    const { files } = (await res.json()) as { files: Array<{ filename: string; size: number }> };
    expect(files.find((file) => file.filename === 'large.mp3')?.size).toBe(LARGE_BYTES);
    expect(await service.stop()).toBe(0);
  }, 60_000);
});
