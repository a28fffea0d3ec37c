import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config.ts';
import { INCOMING_DIR, LocalStore } from '../../src/storage/local/local-store.ts';
import { tempRoot } from '../helpers/app.ts';
import { sha256, uniqueMp3 } from '../helpers/media.ts';
import { waitFor } from '../helpers/wait.ts';

const HOUR = 60 * 60_000;

/** The local backend's own test: it may look at its staging directory. */
const incoming = (root: string) => readdir(path.join(root, INCOMING_DIR));

async function age(file: string, ageMs: number): Promise<void> {
  const when = new Date(Date.now() - ageMs);
  await utimes(file, when, when);
}

/** A process that is alive until killed, and its pid. */
function liveProcess() {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  return {
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    },
  };
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await once(child, 'exit');
  return child.pid!;
}

/**
 * A zombie: `sh` starts a short `sleep` in the background and replaces itself with a long one,
 * which never reaps it (the short one outlives the exec: a child that ended before it would be
 * reaped by `sh`). Resolves with the zombie's pid once /proc shows it exited, and how to end its parent.
 */
async function zombieProcess() {
  const parent = spawn('sh', ['-c', 'sleep 0.5 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const [line] = (await once(parent.stdout!, 'data')) as [Buffer];
  const pid = Number(String(line).trim());
  const state = async () => (await readFile(`/proc/${pid}/stat`, 'latin1').catch(() => 'gone) ?')).split(') ')[1];
  await waitFor('the zombie', async () => (await state())?.startsWith('Z') === true);
  return {
    pid,
    stop: async () => {
      parent.kill('SIGKILL');
      if (parent.exitCode === null && parent.signalCode === null) await once(parent, 'exit');
    },
  };
}

describe('stale temp sweep', () => {
  let store: LocalStore | undefined;
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await store?.close();
    store = undefined;
    await Promise.all(stops.splice(0).map((stop) => stop()));
  });

  async function temp(root: string, name: string, ageMs: number): Promise<string> {
    const file = path.join(root, INCOMING_DIR, name);
    await writeFile(file, 'partial upload');
    await age(file, ageMs);
    return file;
  }

  it('removes temp files older than tempMaxAgeMs and keeps fresh ones', async () => {
    const root = await tempRoot();
    store = await LocalStore.open({ root, poolSize: 1, fsync: false, sweepIntervalMs: 60_000, tempMaxAgeMs: 60_000 });
    await temp(root, 'old.part', 120_000);
    await temp(root, 'fresh.part', 0);
    expect(await store.sweep()).toBe(1);
    expect(await incoming(root)).toEqual(['fresh.part']);
  });

  it('sweeps periodically', async () => {
    const root = await tempRoot();
    store = await LocalStore.open({ root, poolSize: 1, fsync: false, sweepIntervalMs: 1000, tempMaxAgeMs: 5000 });
    await temp(root, 'abandoned.part', 10_000);
    await waitFor('the periodic sweep', async () => (await incoming(root)).length === 0, 4000);
  });

  it('never sweeps the temp file of an upload in progress, however long it pauses', async () => {
    const root = await tempRoot();
    store = await LocalStore.open({ root, poolSize: 1, fsync: false, sweepIntervalMs: 60_000, tempMaxAgeMs: 1000 });
    const bytes = Buffer.concat([uniqueMp3('paused'), Buffer.alloc(600 * 1024, 7)]);
    const source = new PassThrough();
    const staging = store.stage(source);
    source.write(bytes.subarray(0, 400 * 1024));
    const incoming = path.join(root, INCOMING_DIR);
    await waitFor('the temp file', async () => (await readdir(incoming)).length === 1);
    // The client pauses for an hour, as far as the file's age can tell.
    await age(path.join(incoming, (await readdir(incoming))[0]!), HOUR);
    expect(await store.sweep()).toBe(0);
    source.end(bytes.subarray(400 * 1024));
    const stored = await store.commit(await staging, { directory: 'd', name: 'paused.mp3' }, {});
    expect(stored).toMatchObject({ size: bytes.length, sha256: sha256(bytes) });
  });

  it('removes at start the leftovers of a dead process that is still a zombie', async () => {
    const root = await tempRoot();
    const seed = await LocalStore.open({ root, poolSize: 1, fsync: false, sweepIntervalMs: 60_000, tempMaxAgeMs: HOUR });
    await seed.close();
    const zombie = await zombieProcess();
    stops.push(zombie.stop);
    await temp(root, `${zombie.pid}-crashed.part`, 0);
    store = await LocalStore.open({ root, poolSize: 1, fsync: false, sweepIntervalMs: 60_000, tempMaxAgeMs: HOUR });
    expect(await incoming(root)).toEqual([]);
  });

  it("keeps another live process's temp files and removes them once it is gone", async () => {
    const root = await tempRoot();
    store = await LocalStore.open({ root, poolSize: 1, fsync: false, sweepIntervalMs: 60_000, tempMaxAgeMs: 1000 });
    const other = liveProcess();
    stops.push(other.stop);
    await temp(root, `${other.pid}-upload.part`, HOUR);
    expect(await store.sweep()).toBe(0);
    await other.stop();
    expect(await store.sweep()).toBe(1);
    expect(await incoming(root)).toEqual([]);
  });

  it("removes a dead process's leftovers at start, however fresh, and keeps a live one's", async () => {
    const root = await tempRoot();
    const seed = await LocalStore.open({ root, poolSize: 1, fsync: false, sweepIntervalMs: 60_000, tempMaxAgeMs: HOUR });
    await seed.close();
    const other = liveProcess();
    stops.push(other.stop);
    await temp(root, `${await deadPid()}-crashed.part`, 0);
    await temp(root, `${other.pid}-live.part`, 0);
    store = await LocalStore.open({ root, poolSize: 1, fsync: false, sweepIntervalMs: 60_000, tempMaxAgeMs: HOUR });
    expect(await incoming(root)).toEqual([`${other.pid}-live.part`]);
  });
});

describe('temp max age in the config', () => {
  it('refuses a storage.tempMaxAgeMs below server.idleTimeoutMs', () => {
    const config = { server: { idleTimeoutMs: 120_000 }, storage: { tempMaxAgeMs: 60_000 } };
    expect(() => parseConfig(config)).toThrow(ConfigError);
    expect(() => parseConfig(config)).toThrow(/storage\.tempMaxAgeMs: .*server\.idleTimeoutMs/);
  });

  it('accepts a max age at least the idle timeout', () => {
    expect(parseConfig({ server: { idleTimeoutMs: 5000 }, storage: { tempMaxAgeMs: 5000 } }).storage.tempMaxAgeMs).toBe(5000);
  });
});
