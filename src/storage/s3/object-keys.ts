import type { ObjectKey } from '../byte-store.ts';

/**
 * Where keys live in the bucket: `<prefix><directory>/<name>`, the prefix ending in '/' when
 * set. Names starting with '.' are the store's own (`.attributes/`): never listed.
 */
export class ObjectKeys {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  }

  of(key: ObjectKey): string {
    return `${this.directoryPrefix(key.directory)}${key.name}`;
  }

  /** The prefix of a directory's children: `<prefix><directory>/`, or the prefix alone for the top. */
  directoryPrefix(directory: string): string {
    return directory === '' ? this.prefix : `${this.prefix}${directory}/`;
  }

  attributes(ref: string): string {
    return `${this.prefix}.attributes/${ref}.json`;
  }

  /** A child's name from its key or common prefix; undefined for the store's own and for empty names. */
  static childName(parentPrefix: string, key: string): string | undefined {
    const name = key.slice(parentPrefix.length).replace(/\/$/, '');
    return name === '' || name.startsWith('.') || name.includes('/') ? undefined : name;
  }
}
