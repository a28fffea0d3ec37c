import { rm } from 'node:fs/promises';
import { afterAll, inject } from 'vitest';
import type { ByteStore } from '../../src/storage/byte-store.ts';
import { S3Store, type S3StoreOptions } from '../../src/storage/s3/s3-store.ts';
import { tempRoot } from '../helpers/app.ts';
import { freshBucket } from '../helpers/s3.ts';
import { rgwStoreOptions, useRgwCredentials } from '../helpers/s3-store.ts';
import { runByteStoreContract, stageThenDie } from './byte-store-contract.ts';

// The shared store suite on the S3 backend, against the run's real Ceph RADOS Gateway: each store
// gets a bucket of its own; a store "alongside" shares the bucket and the staging directory, as a
// second service process on the same host does.
const rgw = inject('rgw');
useRgwCredentials(rgw);
const optionsOf = new Map<ByteStore, S3StoreOptions>();
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function openWith(options: S3StoreOptions): Promise<ByteStore> {
  const store = await S3Store.open(options);
  optionsOf.set(store, options);
  return store;
}

runByteStoreContract('S3 bucket (Ceph RGW)', {
  async open() {
    const stagingDir = await tempRoot('s3-contract-');
    dirs.push(stagingDir);
    const bucket = await freshBucket(rgw);
    return openWith(rgwStoreOptions(rgw, bucket, stagingDir));
  },
  openAlongside: (store) => openWith(optionsOf.get(store)!),
  crashWhileStaged: (store, bytes) => stageThenDie('s3-stage-then-die.ts', [JSON.stringify(optionsOf.get(store)), String(bytes.length)]),
});
