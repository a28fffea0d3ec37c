import { rm } from 'node:fs/promises';
import { afterAll } from 'vitest';
import type { ByteStore } from '../../src/storage/byte-store.ts';
import { LocalStore } from '../../src/storage/local/local-store.ts';
import { tempRoot } from '../helpers/app.ts';
import { runByteStoreContract, stageThenDie } from './byte-store-contract.ts';

const roots: string[] = [];
afterAll(() => Promise.all(roots.map((root) => rm(root, { recursive: true, force: true }))));

const openOn = (root: string) => LocalStore.open({ root, poolSize: 2, fsync: true, sweepIntervalMs: 3_600_000, tempMaxAgeMs: 3_600_000 });
const rootOf = (store: ByteStore) => (store as LocalStore).root;

runByteStoreContract('local disk', {
  async open() {
    const root = await tempRoot('store-contract-');
    roots.push(root);
    return openOn(root);
  },
  openAlongside: (store) => openOn(rootOf(store)),
  crashWhileStaged: (store, bytes) => stageThenDie('stage-then-die.ts', [rootOf(store), String(bytes.length)]),
});
