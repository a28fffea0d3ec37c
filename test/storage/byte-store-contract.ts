import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.ts';
import type { ByteRange, ByteStore, ObjectKey } from '../../src/storage/byte-store.ts';

/**
 * What a backend under test provides to the shared suite (the pattern of tus-node-server's
 * `packages/utils/src/test/stores.ts`): every backend runs `runByteStoreContract` with its own.
 */
export interface StoreHarness {
  /** A new, empty store. */
  open(): Promise<ByteStore>;
  /** A second store over the same storage, as another process would open it. */
  openAlongside(store: ByteStore): Promise<ByteStore>;
  /** Stages `bytes` (streamed) in another process that then dies (SIGKILL); answers the staged id. */
  crashWhileStaged(store: ByteStore, bytes: Buffer): Promise<string>;
}

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/**
 * For `crashWhileStaged`: runs a fixture script (beside this file) that stages bytes and prints
 * the staged id, then kills it (SIGKILL) before it can clean up; answers the id.
 */
export async function stageThenDie(fixture: string, args: string[]): Promise<string> {
  const script = new URL(`./fixtures/${fixture}`, import.meta.url).pathname;
  const child = spawn(process.execPath, ['--import', tsx, script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  for await (const chunk of child.stdout) {
    out += chunk;
    if (out.includes('\n')) break;
  }
  child.kill('SIGKILL');
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  return out.trim();
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
/** Large enough that no backend keeps it in memory while staging. */
const LARGE = 1024 * 1024 + 17;

/** An object's bytes, or one range of them, through `open`; undefined when there is none. */
export async function readObject(store: ByteStore, key: ObjectKey, range?: ByteRange): Promise<Readable | undefined> {
  return (await store.open(key))?.read(range);
}

async function storedBytes(store: ByteStore, key: ObjectKey): Promise<Buffer | undefined> {
  const stream = await readObject(store, key);
  return stream && buffer(stream);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

const codeOf = (error: unknown) => (error instanceof AppError ? error.codeName : error);

export function runByteStoreContract(name: string, harness: StoreHarness): void {
  describe(`ByteStore contract: ${name}`, () => {
    const opened: ByteStore[] = [];
    const open = async (store?: ByteStore) => {
      const fresh = store ? await harness.openAlongside(store) : await harness.open();
      opened.push(fresh);
      return fresh;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    describe('object store: commit without replacing, head, open, list, remove', () => {
      it.each([
        ['in one piece', 'small', () => randomBytes(4096)],
        ['streamed', 'large', () => randomBytes(LARGE)],
      ])('stages bytes given %s, commits them and reads them back whole (%s)', async (_how, kind, make) => {
        const store = await open();
        const bytes = make();
        const staged = await store.stage(
          kind === 'small' ? Buffer.from(bytes) : Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]),
        );
        expect(staged.size).toBe(bytes.length);
        const key = { directory: 'a/b', name: `${kind}.bin` };
        const stored = await store.commit(staged, key, { note: 'x' });
        expect(stored).toMatchObject({ key, size: bytes.length, sha256: sha256(bytes), attributes: { note: 'x' } });
        expect(await store.head(key)).toMatchObject({
          size: bytes.length,
          sha256: sha256(bytes),
          version: stored.version,
          attributes: { note: 'x' },
        });
        expect(await storedBytes(store, key)).toEqual(bytes);
        expect(await store.staged()).toEqual([]);
      });

      it('lets exactly one of concurrent commits to one key win, its bytes whole', async () => {
        const store = await open();
        const bodies = Array.from({ length: 8 }, (_, i) => randomBytes(i % 2 ? LARGE : 8192));
        // Bytes given in one piece are the store's from then on: it gets a copy.
        const staged = await Promise.all(bodies.map((body, i) => store.stage(i % 2 ? Readable.from([body]) : Buffer.from(body))));
        const key = { directory: 'race', name: 'one.bin' };
        const results = await Promise.allSettled(staged.map((s) => store.commit(s, key, {})));
        const winners = results.filter((result) => result.status === 'fulfilled');
        expect(winners).toHaveLength(1);
        for (const result of results) if (result.status === 'rejected') expect(codeOf(result.reason)).toBe('FILE_EXISTS');
        const stored = await storedBytes(store, key);
        expect(bodies.some((body) => body.equals(stored!))).toBe(true);
        expect(await store.staged()).toEqual([]);
      });

      it('never replaces an object: a second commit is FILE_EXISTS and the first stays', async () => {
        const store = await open();
        const key = { directory: 'keep', name: 'k.bin' };
        await store.commit(await store.stage(Buffer.from('first')), key, {});
        expect(codeOf(await rejection(store.commit(await store.stage(Buffer.from('second')), key, {})))).toBe('FILE_EXISTS');
        expect((await storedBytes(store, key))?.toString()).toBe('first');
      });

      it('reads byte ranges exactly (first byte, middle, last byte)', async () => {
        const store = await open();
        const bytes = randomBytes(LARGE);
        const key = { directory: 'r', name: 'ranges.bin' };
        await store.commit(await store.stage(Readable.from([bytes])), key, {});
        for (const range of [
          { start: 0, end: 0 },
          { start: 1000, end: 70_000 },
          { start: LARGE - 1, end: LARGE - 1 },
          { start: 0, end: LARGE - 1 },
        ]) {
          const stream = await readObject(store, key, range);
          expect(await buffer(stream!)).toEqual(bytes.subarray(range.start, range.end + 1));
        }
        expect(await readObject(store, { directory: 'r', name: 'absent.bin' })).toBeUndefined();
      });

      it('opens an object once for its description and then its bytes, whole or a range', async () => {
        const store = await open();
        const bytes = randomBytes(70_000);
        const key = { directory: 'o', name: 'opened.bin' };
        await store.commit(await store.stage(Readable.from([bytes])), key, { note: 'kept' });
        const opened = await store.open(key);
        expect(opened).toMatchObject({ key, size: bytes.length, sha256: sha256(bytes), attributes: { note: 'kept' } });
        expect(await buffer(await opened!.read({ start: 5, end: 9 }))).toEqual(bytes.subarray(5, 10));
        expect(await buffer(await (await store.open(key))!.read())).toEqual(bytes);
        expect(await store.open({ directory: 'o', name: 'absent.bin' })).toBeUndefined();
      });

      it('lists in UTF-8 byte order, page by page with a cursor, with subdirectories apart', async () => {
        const store = await open();
        const names = ['b', 'a', 'Z', 'é', 'e\u0301', '歌', '🎵', '~', 'a b', '10', '9'].map((n) => `${n}.bin`);
        for (const n of names) await store.commit(await store.stage(Buffer.from(n)), { directory: 'list', name: n }, {});
        await store.commit(await store.stage(Buffer.from('deep')), { directory: 'list/sub', name: 'deep.bin' }, {});
        await store.commit(await store.stage(Buffer.from('other')), { directory: 'list2', name: 'other.bin' }, {});
        const expected = [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
        const seen: string[] = [];
        let after: string | undefined;
        for (let pages = 0; pages < 10; pages++) {
          const page = await store.list('list', { limit: 4, after });
          expect(page!.directories).toEqual(['sub']);
          expect(page!.objects.length).toBeLessThanOrEqual(4);
          seen.push(...page!.objects.map((object) => object.key.name));
          after = page!.nextAfter;
          if (!after) break;
        }
        expect(seen).toEqual(expected);
        expect((await store.list('list/sub', { limit: 10 }))!.objects.map((o) => o.key.name)).toEqual(['deep.bin']);
        expect((await store.list('', { limit: 10 }))!.directories).toEqual(['list', 'list2']);
        expect(await store.list('absent', { limit: 10 })).toBeUndefined();
      });

      it('says whether remove removed something', async () => {
        const store = await open();
        const key = { directory: 'rm', name: 'x.bin' };
        await store.commit(await store.stage(Buffer.from('x')), key, {});
        expect(await store.remove(key)).toBe(true);
        expect(await store.remove(key)).toBe(false);
        expect(await store.head(key)).toBeUndefined();
        expect((await store.list('rm', { limit: 10 }))?.objects ?? []).toEqual([]);
        expect(await store.remove({ directory: 'nowhere', name: 'x.bin' })).toBe(false);
      });

      it('attaches attributes to the version they describe only', async () => {
        const store = await open();
        const key = { directory: 'attr', name: 'x.bin' };
        const stored = await store.commit(await store.stage(Buffer.from('x')), key, {});
        await store.annotate(key, stored.version, { seen: 1 });
        expect((await store.head(key))?.attributes).toEqual({ seen: 1 });
        await store.annotate(key, 'some-other-version', { seen: 2 });
        expect((await store.head(key))?.attributes).toEqual({ seen: 1 });
      });
    });

    describe('staging area: stage, adopt, discard, sweep', () => {
      it('discards a staged upload, twice without complaint, and by id', async () => {
        const store = await open();
        const small = await store.stage(Buffer.from('small'));
        const large = await store.stage(Readable.from([randomBytes(LARGE)]));
        expect((await store.staged()).sort()).toEqual([small.id, large.id].sort());
        await store.discard(small);
        await store.discard(small);
        await store.discard(large.id);
        await store.discard(large.id);
        expect(await store.staged()).toEqual([]);
        expect(await store.adopt(large.id)).toBeUndefined();
      });

      it('keeps nothing of a stream that fails while staging', async () => {
        const store = await open();
        const failing = new Readable({
          read() {
            this.push(randomBytes(512 * 1024));
            this.destroy(new Error('client went away'));
          },
        });
        await expect(store.stage(failing)).rejects.toThrow('client went away');
        expect(await store.staged()).toEqual([]);
      });

      it('lets another store over the same storage adopt a staged upload by its id', async () => {
        const first = await open();
        const second = await open(first);
        const bytes = randomBytes(LARGE);
        const staged = await first.stage(Readable.from([bytes]));
        const id = JSON.parse(JSON.stringify(staged.id)) as string;
        const adopted = await second.adopt(id);
        expect(adopted).toMatchObject({ id, size: bytes.length });
        const key = { directory: 'adopted', name: 'a.bin' };
        expect(await second.commit(adopted!, key, {})).toMatchObject({ sha256: sha256(bytes) });
        expect(await storedBytes(first, key)).toEqual(bytes);
        expect(await second.adopt('12345-00000000-0000-0000-0000-000000000000')).toBeUndefined();
        expect(await second.adopt('../../etc/passwd')).toBeUndefined();
      });

      it('clears what a process that died left staged, once a store opens again', async () => {
        const store = await open();
        const id = await harness.crashWhileStaged(store, randomBytes(LARGE));
        const reopened = await open(store);
        expect(await reopened.staged()).not.toContain(id);
        expect(await reopened.adopt(id)).toBeUndefined();
      });
    });

    describe('work area', () => {
      it('gives a caller a directory of its own that no listing of the object store shows', async () => {
        const store = await open();
        const directory = await store.privateDirectory('contract-work');
        await writeFile(path.join(directory, 'mine.txt'), 'work file');
        expect(await store.privateDirectory('contract-work')).toBe(directory);
        expect(await readFile(path.join(directory, 'mine.txt'), 'utf8')).toBe('work file');
        const root = await store.list('', { limit: 100 });
        expect(root?.directories ?? []).not.toContain('.contract-work');
        expect(root?.objects ?? []).toEqual([]);
      });
    });
  });
}
