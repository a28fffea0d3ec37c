import { createWorkerPool } from '../../../src/worker-pool.ts';
import { hashOnEventLoop, type Digest } from '../../../src/storage/staging/hash-while-writing.ts';
import { WriteFollower } from '../../../src/storage/local/write-follower.ts';
import { RunningSha256 } from '../../../src/uploads/local/running-sha256.ts';

/** A hasher of one staged file: `tap` may ask the writer to wait (the hashing thread is behind). */
export interface BenchHasher {
  tap?(chunk: Buffer): Promise<void> | undefined | void;
  finish(size: number): void;
  readonly result: Promise<Digest | undefined>;
}

export interface Mechanism {
  name: string;
  start(): { hasher: (file: string) => BenchHasher; close(): Promise<void> };
}

let ids = 0;

/** The three ways the service hashed bytes while they arrived before issue 24 made them one. */
export const mechanisms: Mechanism[] = [
  { name: 'event loop (S3 staging)', start: () => ({ hasher: () => hashOnEventLoop(), close: async () => undefined }) },
  {
    name: 'pool follower re-reading the page cache (local staging)',
    start: () => {
      const pool = createWorkerPool(new URL('../../../src/storage/local/byte.worker.ts', import.meta.url), 2);
      return { hasher: (file) => new WriteFollower(pool, file, false), close: () => pool.destroy() };
    },
  },
  {
    name: 'shared memory feed to a thread (resumable chunks)',
    start: () => {
      const hashes = new RunningSha256();
      return {
        hasher: () => {
          const id = `u${ids++}`;
          const feed = hashes.follow(id, 0);
          let settle: (digest: Digest | undefined) => void = () => undefined;
          const result = new Promise<Digest | undefined>((resolve) => (settle = resolve));
          return {
            tap: (chunk) => feed.update(chunk),
            finish: (size) => {
              feed.counted(size);
              void hashes.digest(id, size).then((sha256) => settle(sha256 === undefined ? undefined : { size, sha256 }));
            },
            result,
          };
        },
        close: () => hashes.close(),
      };
    },
  },
];
