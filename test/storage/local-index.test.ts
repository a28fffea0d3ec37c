import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { mkdir, readdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { INCOMING_DIR, INDEX_DIR, LocalStore } from '../../src/storage/local/local-store.ts';
import { tempRoot } from '../helpers/app.ts';
import { sha256 } from '../helpers/media.ts';

/** Every file below the root, the store's own directories included (this is the local backend's test). */
async function allFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
    .sort();
}

describe('local backend: files and index', () => {
  const stores: LocalStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });
  async function open(root?: string) {
    const store = await LocalStore.open({
      root: root ?? (await tempRoot('local-index-')),
      poolSize: 1,
      fsync: true,
      sweepIntervalMs: 3_600_000,
      tempMaxAgeMs: 3_600_000,
    });
    stores.push(store);
    return store;
  }

  it('leaves one new file per upload, the media file itself: no sidecar, no temp file', async () => {
    const store = await open();
    const before = (await allFiles(store.root)).filter((file) => file.startsWith(INDEX_DIR));
    for (let i = 0; i < 5; i++) {
      const bytes = Buffer.from(`upload ${i}`);
      await store.commit(
        await store.stage(i % 2 ? Readable.from([bytes, Buffer.alloc(300 * 1024)]) : bytes),
        { directory: 'd', name: `${i}.bin` },
        {},
      );
    }
    const after = await allFiles(store.root);
    expect(after.filter((file) => !file.startsWith(INDEX_DIR))).toEqual(['d/0.bin', 'd/1.bin', 'd/2.bin', 'd/3.bin', 'd/4.bin']);
    // The index lives in a fixed set of files, whatever the number of uploads.
    expect(after.filter((file) => file.startsWith(INDEX_DIR))).toEqual(before);
    expect(await readdir(path.join(store.root, INCOMING_DIR))).toEqual([]);
  });

  it('describes a file from the index, without reading it again', async () => {
    const store = await open();
    const key = { directory: 'd', name: 'x.bin' };
    await store.commit(await store.stage(Buffer.from('original')), key, { kept: true });
    // Same inode, size and mtime, other bytes: only a re-read of the file could notice.
    const file = path.join(store.root, 'd', 'x.bin');
    const { mtimeNs } = await stat(file, { bigint: true });
    await writeFile(file, 'ORIGINAL', { flag: 'r+' });
    // touch, not utimes: the mtime back to the nanosecond.
    execFileSync('touch', ['-m', '-d', `@${mtimeNs / 1_000_000_000n}.${String(mtimeNs % 1_000_000_000n).padStart(9, '0')}`, file]);
    expect(await store.head(key)).toMatchObject({ sha256: sha256(Buffer.from('original')), attributes: { kept: true } });
  });

  it('describes anew a file replaced by hand under the same name', async () => {
    const store = await open();
    const key = { directory: 'd', name: 'x.bin' };
    await store.commit(await store.stage(Buffer.from('original')), key, { kept: true });
    await writeFile(path.join(store.root, 'd', 'new'), 'replaced by hand');
    await rename(path.join(store.root, 'd', 'new'), path.join(store.root, 'd', 'x.bin'));
    const head = await store.head(key);
    expect(head).toMatchObject({ sha256: sha256(Buffer.from('replaced by hand')) });
    expect(head?.attributes).toBeUndefined();
  });

  it('describes a version it read or stored before from memory, without querying the index', async () => {
    const store = await open();
    const key = { directory: 'd', name: 'x.bin' };
    await store.commit(await store.stage(Buffer.from('original')), key, { kept: true });
    // The entry taken out of the index behind the store's back: only a query would miss it.
    const db = new DatabaseSync(path.join(store.root, INDEX_DIR, 'metadata.sqlite'));
    try {
      expect(db.prepare('DELETE FROM files WHERE directory = ? AND name = ?').run('d', 'x.bin').changes).toBe(1);
    } finally {
      db.close();
    }
    expect(await store.head(key)).toMatchObject({ sha256: sha256(Buffer.from('original')), attributes: { kept: true } });
  });

  it('describes anew a file replaced by hand after it was read', async () => {
    const store = await open();
    const key = { directory: 'd', name: 'x.bin' };
    await store.commit(await store.stage(Buffer.from('original')), key, { kept: true });
    expect(await store.head(key)).toMatchObject({ sha256: sha256(Buffer.from('original')) });
    await writeFile(path.join(store.root, 'd', 'new'), 'replaced by hand');
    await rename(path.join(store.root, 'd', 'new'), path.join(store.root, 'd', 'x.bin'));
    const head = await store.head(key);
    expect(head).toMatchObject({ sha256: sha256(Buffer.from('replaced by hand')) });
    expect(head?.attributes).toBeUndefined();
  });

  it('keeps its index across a restart, and catches up with files added meanwhile', async () => {
    const root = await tempRoot('local-index-');
    const first = await open(root);
    await first.commit(await first.stage(Buffer.from('kept')), { directory: 'd', name: 'kept.bin' }, { note: 1 });
    await first.close();
    stores.splice(stores.indexOf(first), 1);
    await writeFile(path.join(root, 'd', 'copied.bin'), 'copied while stopped');
    const second = await open(root);
    const page = await second.list('d', { limit: 10 });
    expect(page?.objects.map((object) => [object.key.name, object.attributes])).toEqual([
      ['copied.bin', undefined],
      ['kept.bin', { note: 1 }],
    ]);
  });
  it('removes the LMDB index of an earlier version and describes its files anew', async () => {
    const root = await tempRoot('local-index-');
    await mkdir(path.join(root, INDEX_DIR), { recursive: true });
    await mkdir(path.join(root, 'd'));
    for (const name of ['metadata.mdb', 'metadata.mdb-lock']) await writeFile(path.join(root, INDEX_DIR, name), 'an earlier index');
    await writeFile(path.join(root, 'd', 'old.bin'), 'stored by an earlier version');
    const store = await open(root);
    expect(await readdir(path.join(root, INDEX_DIR))).not.toContain('metadata.mdb');
    expect(await readdir(path.join(root, INDEX_DIR))).not.toContain('metadata.mdb-lock');
    expect(await store.head({ directory: 'd', name: 'old.bin' })).toMatchObject({
      sha256: sha256(Buffer.from('stored by an earlier version')),
    });
  });
});

describe('local backend: several processes on one root', () => {
  it('indexes what every process commits, and each sees the others', async () => {
    const root = await tempRoot('local-processes-');
    const script = new URL('./fixtures/commit-many.ts', import.meta.url).pathname;
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const children = ['a', 'b', 'c'].map((prefix) =>
      spawn(process.execPath, ['--import', tsx, script, root, prefix, '40'], { stdio: ['ignore', 'pipe', 'inherit'] }),
    );
    const codes = await Promise.all(children.map(async (child) => (await once(child, 'exit'))[0]));
    expect(codes).toEqual([0, 0, 0]);
    const store = await LocalStore.open({ root, poolSize: 1, fsync: false, sweepIntervalMs: 3_600_000, tempMaxAgeMs: 3_600_000 });
    try {
      const seen: Array<[string, unknown, string]> = [];
      let after: string | undefined;
      do {
        const page = await store.list('shared', { limit: 50, after });
        seen.push(...page!.objects.map((object) => [object.key.name, object.attributes, object.sha256] as [string, unknown, string]));
        after = page!.nextAfter;
      } while (after);
      expect(seen).toHaveLength(120);
      for (const [name, attributes, digest] of seen) {
        expect(attributes).toEqual({ by: name[0] });
        expect(digest).toBe(sha256(Buffer.from(name)));
      }
    } finally {
      await store.close();
    }
  });
});
