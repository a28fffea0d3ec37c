import { createHash, type Hash } from 'node:crypto';
import { AppError } from '../../errors.ts';
import type { ChunkChecksum } from './checksum-header.ts';
import { tusRequest } from './request-context.ts';

/**
 * The `Upload-Checksum` of the request being handled, checked against the chunk's bytes as a
 * store writes them: undefined when the request sent none.
 */
export class ChunkVerifier {
  private readonly hash: Hash;

  private constructor(private readonly checksum: ChunkChecksum) {
    this.hash = createHash(checksum.algorithm);
  }

  static forRequest(): ChunkVerifier | undefined {
    const checksum = tusRequest.getStore()?.checksum;
    return checksum && new ChunkVerifier(checksum);
  }

  update(chunk: Buffer): void {
    this.hash.update(chunk);
  }

  /** Throws CHECKSUM_MISMATCH (460) unless the bytes fed are the ones the client hashed; the offset stays. */
  verify(offset: number): void {
    const digest = this.hash.digest('base64');
    if (digest === this.checksum.digest) return;
    throw new AppError(
      'CHECKSUM_MISMATCH',
      `checksum mismatch: the chunk's ${this.checksum.algorithm} is ${digest}, Upload-Checksum says ${this.checksum.digest}; the offset stays ${offset}`,
    );
  }
}
