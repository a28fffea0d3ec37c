import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { afterAll } from 'vitest';
import type { ByteStore } from '../../src/storage/byte-store.ts';
import { LocalStore } from '../../src/storage/local/local-store.ts';
import { tempRoot } from '../helpers/app.ts';
import { runByteStoreContract } from './byte-store-contract.ts';

const roots: string[] = [];
afterAll(() => Promise.all(roots.map((root) => rm(root, { recursive: true, force: true }))));

const openOn = (root: string) => LocalStore.open({ root, poolSize: 2, fsync: true, sweepIntervalMs: 3_600_000, tempMaxAgeMs: 3_600_000 });
const rootOf = (store: ByteStore) => (store as LocalStore).root;
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

runByteStoreContract('local disk', {
  async open() {
    const root = await tempRoot('store-contract-');
    roots.push(root);
    return openOn(root);
  },
  openAlongside: (store) => openOn(rootOf(store)),
  async crashWhileStaged(store, bytes) {
    const script = new URL('./fixtures/stage-then-die.ts', import.meta.url).pathname;
    const child = spawn(process.execPath, ['--import', tsx, script, rootOf(store), String(bytes.length)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    for await (const chunk of child.stdout) {
      out += chunk;
      if (out.includes('\n')) break;
    }
    child.kill('SIGKILL');
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    return out.trim();
  },
});
