import fs from 'node:fs';
import path from 'node:path';
import type { AudioMetadata } from './media-store.ts';

/**
 * What is known of a stored file, kept in `<root>/.meta/<directory>/<filename>` so a listing or a
 * download never re-reads the file. `.meta` starts with a dot, so the API can never reach it.
 * `ino` and `size` tie it to one stored file: a sidecar that does not match is stale.
 */
export interface Sidecar {
  ino: number;
  size: number;
  sha256: string;
  metadata: AudioMetadata | null;
}

export const META_DIR = '.meta';

export function sidecarPath(root: string, directory: string, filename: string): string {
  return path.join(root, META_DIR, directory, filename);
}

/** Writes the sidecar atomically: a temp file renamed over any stale one. */
export function writeSidecarSync(root: string, directory: string, filename: string, tempPath: string, sidecar: Sidecar): void {
  const target = sidecarPath(root, directory, filename);
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(tempPath, JSON.stringify(sidecar), { flag: 'wx' });
    fs.renameSync(tempPath, target);
  } catch (error) {
    // On a full disk the temp file was created but not written: never leave it behind.
    fs.rmSync(tempPath, { force: true });
    throw error;
  }
}

/**
 * Writes the sidecar of a file just published, straight into place: no temp file and rename.
 * A reader that meets it half-written (or a leftover of an earlier file of that name) finds no
 * valid sidecar for this inode and rebuilds it, so the cheaper write loses nothing. The
 * directory under `.meta` is created only when the write finds it missing.
 */
export function writePublishedSidecarSync(root: string, directory: string, filename: string, sidecar: Sidecar): void {
  const target = sidecarPath(root, directory, filename);
  const text = JSON.stringify(sidecar);
  try {
    fs.writeFileSync(target, text);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
  }
}

/** The sidecar if it still describes the file with this inode and size. */
export async function readSidecar(file: string, stat: { ino: number; size: number }): Promise<Sidecar | undefined> {
  try {
    const sidecar = JSON.parse(await fs.promises.readFile(file, 'utf8')) as Sidecar;
    return sidecar.ino === stat.ino && sidecar.size === stat.size && typeof sidecar.sha256 === 'string' ? sidecar : undefined;
  } catch {
    return undefined;
  }
}
