import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Deletes files in `directory` last modified more than `maxAgeMs` ago: temp files of uploads
 * whose process died before it could clean up. Returns how many it removed.
 */
export async function sweepStale(directory: string, maxAgeMs: number, now = Date.now()): Promise<number> {
  let removed = 0;
  const entries = await fs.readdir(directory, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const file = path.join(directory, entry.name);
    const stat = await fs.stat(file).catch(() => undefined);
    if (stat && now - stat.mtimeMs > maxAgeMs) {
      await fs.rm(file, { force: true });
      removed += 1;
    }
  }
  return removed;
}
