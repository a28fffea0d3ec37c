import type { Sidecar } from './sidecar.ts';

/** The identity of one version of a stored file, as lstat reports it. */
interface FileVersion {
  ino: number;
  size: number;
  mtimeMs: number;
}

/**
 * Sidecars recently read, so a download of a hot file costs one lstat instead of four more file
 * operations (the 64 KiB download benchmark's profile: every one is a thread round trip). An
 * entry counts only for the same inode, size and mtime, which is stricter than the sidecar's own
 * check (inode and size), so it can never answer what reading the sidecar would not.
 */
export class SidecarCache {
  private readonly entries = new Map<string, { version: FileVersion; sidecar: Sidecar }>();

  constructor(private readonly capacity = 10_000) {}

  get(key: string, version: FileVersion): Sidecar | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const { ino, size, mtimeMs } = entry.version;
    if (ino !== version.ino || size !== version.size || mtimeMs !== version.mtimeMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.sidecar;
  }

  set(key: string, { ino, size, mtimeMs }: FileVersion, sidecar: Sidecar): void {
    this.entries.delete(key);
    this.entries.set(key, { version: { ino, size, mtimeMs }, sidecar });
    // Map keeps insertion order: the first key is the least recently stored.
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
