import fs from 'node:fs/promises';

/** A readiness problem when the filesystem holding `root` has less than `floor` bytes free for us. */
export async function lowSpace(root: string, floor: number): Promise<string | undefined> {
  if (floor <= 0) return undefined;
  const stats = await fs.statfs(root);
  // bavail, not bfree: the blocks reserved for root are not ours to count on.
  const free = stats.bavail * stats.bsize;
  if (free >= floor) return undefined;
  return `low free space on the storage root: ${free} bytes free, below storage.minFreeBytes (${floor})`;
}
