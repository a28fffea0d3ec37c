import { writeFile, utimes } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { INCOMING_DIR, LocalStore } from '../src/storage/local-store.ts';
import { tempRoot } from './helpers/app.ts';
import { filesUnder } from './helpers/media.ts';
import { waitFor } from './helpers/wait.ts';

describe('stale temp sweep', () => {
  let store: LocalStore | undefined;
  afterEach(async () => {
    await store?.close();
  });

  async function temp(root: string, name: string, ageMs: number): Promise<void> {
    const file = path.join(root, INCOMING_DIR, name);
    await writeFile(file, 'partial upload');
    const when = new Date(Date.now() - ageMs);
    await utimes(file, when, when);
  }

  it('removes temp files older than tempMaxAgeMs at start and keeps fresh ones', async () => {
    const root = await tempRoot();
    store = await LocalStore.open({ root, poolSize: 1, fsync: false, sweepIntervalMs: 60_000, tempMaxAgeMs: 60_000 });
    await temp(root, 'old.part', 120_000);
    await temp(root, 'fresh.part', 0);
    expect(await store.sweep()).toBe(1);
    expect(await filesUnder(root)).toEqual([path.join(INCOMING_DIR, 'fresh.part')]);
  });

  it('sweeps periodically', async () => {
    const root = await tempRoot();
    store = await LocalStore.open({ root, poolSize: 1, fsync: false, sweepIntervalMs: 1000, tempMaxAgeMs: 5000 });
    await temp(root, 'abandoned.part', 10_000);
    await waitFor('the periodic sweep', async () => (await filesUnder(root)).length === 0, 4000);
  });
});
