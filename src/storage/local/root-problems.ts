import fs from 'node:fs/promises';
import path from 'node:path';
import type { StagingArea } from '../staging/staging-area.ts';

/** What keeps the root from taking files: new names impossible in it or in staging, or too little free space. */
export async function rootProblems(root: string, staging: StagingArea, minFreeBytes: number): Promise<string[]> {
  const problems: string[] = [];
  // New names must be possible in the root (new directories) and in staging (uploads).
  const rootProbe = path.join(root, `.ready-${process.pid}`);
  try {
    await fs.writeFile(rootProbe, '');
    await fs.rm(rootProbe);
    await staging.probe();
  } catch (error) {
    problems.push(`storage root not writable (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const low = await lowSpace(root, minFreeBytes);
  if (low) problems.push(low);
  return problems;
}

/** A readiness problem when the filesystem holding `root` has less than `floor` bytes free for us. */
async function lowSpace(root: string, floor: number): Promise<string | undefined> {
  if (floor <= 0) return undefined;
  const stats = await fs.statfs(root);
  // bavail, not bfree: the blocks reserved for root are not ours to count on.
  const free = stats.bavail * stats.bsize;
  if (free >= floor) return undefined;
  return `low free space on the storage root: ${free} bytes free, below storage.minFreeBytes (${floor})`;
}
