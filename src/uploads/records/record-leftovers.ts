import fs from 'node:fs/promises';
import path from 'node:path';

/** `<id>.<uuid>.tmp`: a record being written (UploadRecords.write), renamed over `<id>.json` once written. */
const RECORD_TEMP = /^[0-9a-f]{32}\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.tmp$/;

/**
 * Removes the temp files of record writes that a process killed mid-write left in `directory`,
 * once older than `maxAgeMs` (a write in progress lasts far less: its rename follows the fsync
 * of one chunk). Nothing else removes them: the expiry sweep looks for records. Answers how many.
 */
export async function sweepRecordLeftovers(directory: string, maxAgeMs: number, now = Date.now()): Promise<number> {
  const names = await fs.readdir(directory).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names.filter((entry) => RECORD_TEMP.test(entry))) {
    const file = path.join(directory, name);
    const stats = await fs.stat(file).catch(() => undefined);
    if (!stats || now - stats.mtimeMs <= maxAgeMs) continue;
    await fs.rm(file, { force: true });
    removed += 1;
  }
  return removed;
}
