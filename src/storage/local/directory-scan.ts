import fs from 'node:fs/promises';
import path from 'node:path';
import type { MetadataIndex } from './metadata-index.ts';

/**
 * A directory's mtime moves in coarse clock ticks: a file added in the same tick as a read would
 * leave it unchanged. A read is trusted only when it began this long after the last change, so
 * whatever changes after it moves the mtime.
 */
const SETTLED_MS = 1000;

/** Names compare by their UTF-8 bytes: one stable order whatever the locale. */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Brings the index's view of one directory up to date with the disk, and answers its
 * subdirectories. The directory is read (readdir) only when its mtime differs from the one the
 * index recorded at the last read, so a listing page of an unchanged directory is one range
 * read of the index, whatever the directory's size. A file the index lacks (copied in by hand,
 * or published by a process that died before indexing it) gets an entry without a digest, filled
 * when a page shows it; an entry whose file is gone is dropped.
 */
export interface DirectoryView {
  /** Subdirectory names, in byte order. */
  directories: string[];
  /** Set when the index could not record what was read (a full disk): the file names, in byte order. */
  files?: string[];
}

/** The names of a directory's visible files as they are on disk, in byte order: for when the index cannot answer. */
export async function filesOnDisk(real: string): Promise<string[]> {
  const entries = await fs.readdir(real, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort(byteOrder);
}

export async function reconcileDirectory(index: MetadataIndex, real: string, directory: string): Promise<DirectoryView> {
  const before = await fs.stat(real, { bigint: true });
  const known = index.directory(directory);
  if (
    known &&
    known.mtimeNs === String(before.mtimeNs) &&
    known.ino === String(before.ino) &&
    known.scannedAtMs - Number(before.mtimeMs) > SETTLED_MS
  ) {
    return { directories: known.directories };
  }
  const scannedAtMs = Date.now();
  const entries = await fs.readdir(real, { withFileTypes: true });
  const visible = entries.filter((entry) => !entry.name.startsWith('.'));
  const directories = visible
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort(byteOrder);
  const files = new Set(visible.filter((entry) => entry.isFile()).map((entry) => entry.name));
  const indexed = new Set(index.names(directory));
  const gone: string[] = [];
  for (const name of indexed) {
    if (files.has(name)) continue;
    // Committed by another process after the readdir? Only a file that is really gone loses its entry.
    const stat = await fs.lstat(path.join(real, name)).catch(() => undefined);
    if (!stat?.isFile()) gone.push(name);
  }
  const seen = [...files].filter((name) => !indexed.has(name));
  const record = { mtimeNs: String(before.mtimeNs), ino: String(before.ino), scannedAtMs, directories };
  const recorded = await index.recordScan(directory, seen, gone, { ino: 0, size: -1, mtimeMs: 0 }, record);
  return recorded ? { directories } : { directories, files: [...files].sort(byteOrder) };
}
