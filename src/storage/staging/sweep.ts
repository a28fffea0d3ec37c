import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

export interface SweepOptions {
  /** Files last modified longer ago than this are abandoned. */
  maxAgeMs: number;
  /** True for a temp file an upload of this process is still writing or publishing. */
  inUse: (name: string) => boolean;
  /** At start: every leftover of a process that is gone is removed, whatever its age. */
  atStart?: boolean;
  now?: number;
}

/**
 * Deletes abandoned temp files in `directory`: those of uploads whose process died before it
 * could clean up. Temp names start with the pid of the process writing them (`<pid>-...`), so a
 * file of another process that is still running is never touched, however long its client
 * pauses, and this process skips its own uploads in progress. Returns how many it removed.
 */
export async function sweepStale(directory: string, options: SweepOptions): Promise<number> {
  const now = options.now ?? Date.now();
  let removed = 0;
  const entries = await fs.readdir(directory, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile() || options.inUse(entry.name)) continue;
    const owner = ownerOf(entry.name);
    if (owner !== undefined && owner !== process.pid && isRunning(owner)) continue;
    const file = path.join(directory, entry.name);
    const leftover = options.atStart === true && owner !== undefined;
    const stat = leftover ? undefined : await fs.stat(file).catch(() => undefined);
    if (leftover || (stat && now - stat.mtimeMs > options.maxAgeMs)) {
      await fs.rm(file, { force: true });
      removed += 1;
    }
  }
  return removed;
}

/** The pid a temp file name starts with, if any. */
function ownerOf(name: string): number | undefined {
  const match = /^(\d+)-/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/**
 * Signal 0 only checks: EPERM means the process exists but belongs to someone else. A zombie (a
 * process that has exited but that its parent has not reaped yet) still answers signal 0, yet it
 * will never finish an upload: where /proc tells, it counts as gone.
 */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}

/** `/proc/<pid>/stat` reads `pid (name) state ...`; the name may hold spaces and parentheses. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}
