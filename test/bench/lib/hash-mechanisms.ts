import { createHash } from 'node:crypto';
import { RunningHash, type Digest } from '../../../src/storage/staging/running-hash.ts';

/** A hasher of one staged file: `tap` sees each chunk on its way to the file. */
export interface BenchHasher {
  tap?(chunk: Buffer): void;
  finish(size: number): void;
  readonly result: Promise<Digest | undefined>;
}

export interface Mechanism {
  name: string;
  start(): { hasher: (file: string) => BenchHasher; close(): Promise<void> };
}

let ids = 0;

/**
 * The service's one way (a thread reading behind the writer, src/storage/staging/running-hash.ts)
 * and, for comparison, hashing each chunk on the event loop. The two other mechanisms measured
 * before issue 24 kept this one (a pool follower of the byte pool, a shared-memory feed) are gone
 * from the code; their figures are in NOTES.md.
 */
export const mechanisms: Mechanism[] = [
  {
    name: 'event loop',
    start: () => ({
      hasher: () => {
        const hash = createHash('sha256');
        let settle: (digest: Digest) => void = () => undefined;
        const result = new Promise<Digest>((resolve) => (settle = resolve));
        return { tap: (chunk) => void hash.update(chunk), finish: (size) => settle({ size, sha256: hash.digest('hex') }), result };
      },
      close: async () => undefined,
    }),
  },
  {
    name: 'running hash (a thread reading behind the writer)',
    start: () => {
      const hashes = new RunningHash();
      return {
        hasher: (file) => {
          const id = `u${ids++}`;
          const run = hashes.follow(id, file, 0);
          let settle: (digest: Digest | undefined) => void = () => undefined;
          const result = new Promise<Digest | undefined>((resolve) => (settle = resolve));
          return {
            finish: (size) => {
              run.counted(size);
              void hashes.digest(id, size).then(settle);
            },
            result,
          };
        },
        close: () => hashes.close(),
      };
    },
  },
];
