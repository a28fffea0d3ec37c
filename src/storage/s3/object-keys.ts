import { createHash } from 'node:crypto';
import { AppError } from '../../errors.ts';
import type { ObjectKey } from '../byte-store.ts';

/** S3 keys are at most 1024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

/**
 * Where keys live in the bucket: `<prefix><directory>/<name>`, the prefix ending in '/' when
 * set. Names starting with '.' are the store's own (`.attributes/`, `.described/`, `.multipart/`, `.probe/`): never listed.
 */
export class ObjectKeys {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  }

  /** The object's key; INVALID_ARGUMENT for a path longer than S3 allows (a key the backend cannot hold). */
  of(key: ObjectKey): string {
    const full = `${this.directoryPrefix(key.directory)}${key.name}`;
    if (Buffer.byteLength(full) > MAX_KEY_BYTES)
      throw new AppError(
        'INVALID_ARGUMENT',
        `invalid argument: the path is longer than S3 allows (${MAX_KEY_BYTES} bytes with storage.s3.prefix)`,
      );
    return full;
  }

  /** The prefix of a directory's children: `<prefix><directory>/`, or the prefix alone for the top. */
  directoryPrefix(directory: string): string {
    return directory === '' ? this.prefix : `${this.prefix}${directory}/`;
  }

  attributes(ref: string): string {
    return `${this.prefix}.attributes/${ref}.json`;
  }

  /** What a multipart upload (named as `upload` metadata carries it) wrote of its object before completing it. */
  multipartMetadata(upload: string): string {
    return `${this.prefix}.multipart/${upload}.json`;
  }

  /** A key the start-up probe writes and removes (see completion-condition-probe.ts). */
  probe(id: string): string {
    return `${this.prefix}.probe/${id}`;
  }

  /** The sidecar of a foreign object's key: what the store learnt of it (named by a digest: any key fits). */
  described(key: string): string {
    return `${this.prefix}.described/${createHash('sha256').update(key).digest('hex')}.json`;
  }

  /** A child's name from its key or common prefix; undefined for the store's own and for empty names. */
  static childName(parentPrefix: string, key: string): string | undefined {
    const name = key.slice(parentPrefix.length).replace(/\/$/, '');
    return name === '' || name.startsWith('.') || name.includes('/') ? undefined : name;
  }
}
