import { createHash } from 'node:crypto';

/** Size and SHA-256 of a staged upload's bytes. */
export interface Digest {
  size: number;
  sha256: string;
}

/**
 * Hashes a staging file's bytes while they are written. `tap` sees each chunk on its way to the
 * file (absent when the hasher reads the file itself); `result` is undefined when it stopped or
 * failed, and publishing then hashes the file itself.
 */
export interface WriteHasher {
  tap?(chunk: Buffer): void;
  /** The upload ended: all `size` bytes are written. */
  finish(size: number): void;
  stop(): void;
  readonly result: Promise<Digest | undefined>;
}

/** Starts hashing the staging file `file` as it is written. */
export type StartHashing = (file: string) => WriteHasher;

/** Hashes each chunk on the event loop as it passes to the file. */
export function hashOnEventLoop(): WriteHasher {
  const hash = createHash('sha256');
  let settle: (digest: Digest | undefined) => void = () => undefined;
  const result = new Promise<Digest | undefined>((resolve) => (settle = resolve));
  return {
    tap: (chunk) => void hash.update(chunk),
    finish: (size) => settle({ size, sha256: hash.digest('hex') }),
    stop: () => settle(undefined),
    result,
  };
}
