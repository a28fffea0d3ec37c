import { createSHA256, type IHasher } from 'hash-wasm';

/**
 * The sha256 of an upload's bytes so far, as a state another request or host carries on from:
 * node:crypto's hashes cannot be saved, hash-wasm's can (a state of about a hundred bytes, kept
 * base64 in the upload's record), so the whole file's digest is known at completion without
 * reading the file again.
 */
export class ResumableSha256 {
  private constructor(private readonly hasher: IHasher) {}

  /** Carries on from a saved state; from nothing hashed yet without one. */
  static async resume(state: string | undefined): Promise<ResumableSha256> {
    const hasher = await createSHA256();
    if (state === undefined) hasher.init();
    else hasher.load(Buffer.from(state, 'base64'));
    return new ResumableSha256(hasher);
  }

  /** The hex digest of the bytes a saved state covers. */
  static async digestOf(state: string | undefined): Promise<string> {
    return (await ResumableSha256.resume(state)).hasher.digest('hex');
  }

  update(bytes: Uint8Array): void {
    this.hasher.update(bytes);
  }

  /** The state now, for a record: the bytes fed so far. */
  save(): string {
    return Buffer.from(this.hasher.save()).toString('base64');
  }
}
