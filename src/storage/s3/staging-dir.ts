import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ownedConcat, readHead } from '../staging/buffer-small.ts';
import { asStorageError } from '../no-space.ts';
import { freeWhenWritten } from '../staging/spent-buffers.ts';
import { STAGING_WRITE_BUFFER_BYTES } from '../staging/staging-write-buffer.ts';

/** `<pid>-<uuid>`: whose a staged file is, so leftovers of a dead process can go at start. */
const ID = /^(\d+)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SUFFIX = '.part';
/** Copies of stored objects fetched to be inspected: not staged uploads, gone after a while. */
const COPY_SUFFIX = '.copy';
/** Uploads up to this size stay in memory until their PUT; larger ones go to a file. */
export const MEMORY_STAGING_LIMIT = 256 * 1024;

/** Bytes received on this host and not yet in the bucket, with their digest. */
export interface StagedFile {
  id: string;
  size: number;
  /** Absent for a file adopted from another process: hashed when committed. */
  sha256?: string;
  bytes?: Uint8Array;
  file: string;
}

/**
 * The receiving host's staging area for a remote backend: each upload is received and hashed
 * here (in memory when small, in `<dir>/<id>.part` when not) and only then sent to the bucket,
 * so a refused or aborted upload never reaches it.
 */
export class StagingDir {
  private readonly held = new Map<string, StagedFile>();

  private constructor(readonly dir: string) {}

  static async open(dir: string): Promise<StagingDir> {
    await fs.mkdir(dir, { recursive: true });
    const staging = new StagingDir(dir);
    await staging.removeLeftoversOfGoneProcesses();
    return staging;
  }

  async stage(source: Readable | Uint8Array, suffix = SUFFIX): Promise<StagedFile> {
    const id = `${process.pid}-${randomUUID()}`;
    const file = this.fileOf(id, suffix);
    if (source instanceof Uint8Array) return this.hold({ id, size: source.length, sha256: sha256Of(source), bytes: source, file });
    // The source may fail between the head and the rest being read, with no reader listening:
    // its error is kept (`errored`) and thrown by the reads below, never an unhandled 'error'.
    source.on('error', () => undefined);
    const head = await readHead(source, MEMORY_STAGING_LIMIT);
    if (head.ended) {
      const bytes = ownedConcat(head.chunks, head.size);
      return this.hold({ id, size: head.size, sha256: sha256Of(bytes), bytes, file });
    }
    const hash = createHash('sha256');
    let size = 0;
    const tap = (chunk: Buffer) => {
      hash.update(chunk);
      size += chunk.length;
      return chunk;
    };
    async function* hashed(): AsyncGenerator<Buffer> {
      for (const chunk of head.chunks) yield tap(chunk);
      for await (const chunk of source) yield tap(chunk as Buffer);
    }
    try {
      const handle = await fs.open(file, 'wx', 0o644);
      await pipeline(hashed(), freeWhenWritten(handle.createWriteStream({ highWaterMark: STAGING_WRITE_BUFFER_BYTES })));
      return this.hold({ id, size, sha256: hash.digest('hex'), file });
    } catch (error) {
      await fs.rm(file, { force: true });
      throw asStorageError(error);
    }
  }

  /** Stages a file assembled elsewhere on this filesystem by moving it here (no copy). */
  async takeFile(source: string, sha256?: string): Promise<StagedFile> {
    const id = `${process.pid}-${randomUUID()}`;
    const file = this.fileOf(id, SUFFIX);
    try {
      await fs.rename(source, file);
      const { size } = await fs.stat(file);
      return this.hold({ id, size, sha256, file });
    } catch (error) {
      throw asStorageError(error);
    }
  }

  /** An upload of this process, or a file another process left in this staging area. */
  async adopt(id: string): Promise<StagedFile | undefined> {
    const mine = this.held.get(id);
    if (mine || !ID.test(id)) return mine;
    const file = this.fileOf(id);
    const stat = await fs.stat(file).catch(() => undefined);
    return stat?.isFile() ? this.hold({ id, size: stat.size, file }) : undefined;
  }

  /** A local copy of a stored object's bytes for a worker to read, removed after `keepMs`; never listed as staged. */
  async copy(source: Readable, keepMs: number): Promise<{ bytes: Uint8Array } | { file: string }> {
    const copied = await this.stage(source, COPY_SUFFIX);
    this.held.delete(copied.id);
    if (copied.bytes) return { bytes: copied.bytes };
    setTimeout(() => void fs.rm(copied.file, { force: true }), keepMs).unref();
    return { file: copied.file };
  }

  get(id: string): StagedFile | undefined {
    return this.held.get(id);
  }

  /** The upload's digest, hashing its file when it came from another process. */
  async sha256(staged: StagedFile): Promise<string> {
    if (staged.sha256 !== undefined) return staged.sha256;
    const hash = createHash('sha256');
    await pipeline(createReadStream(staged.file), hash);
    staged.sha256 = hash.digest('hex');
    return staged.sha256;
  }

  /** Forgets an upload and removes its file. Safe to call twice. */
  async discard(id: string): Promise<void> {
    const held = this.held.get(id);
    this.held.delete(id);
    if (held?.bytes !== undefined || !ID.test(id)) return;
    await fs.rm(held?.file ?? this.fileOf(id), { force: true });
  }

  async ids(): Promise<string[]> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    const onDisk = names.filter((name) => name.endsWith(SUFFIX)).map((name) => name.slice(0, -SUFFIX.length));
    return [...new Set([...this.held.keys(), ...onDisk])].sort();
  }

  /** A probe write: uploads can be staged here. */
  async writable(): Promise<boolean> {
    const probe = path.join(this.dir, `.ready-${process.pid}`);
    try {
      await fs.writeFile(probe, '');
      await fs.rm(probe);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.held.keys()].map((id) => this.discard(id)));
  }

  private fileOf(id: string, suffix = SUFFIX): string {
    return path.join(this.dir, `${id}${suffix}`);
  }

  private hold(staged: StagedFile): StagedFile {
    this.held.set(staged.id, staged);
    return staged;
  }

  private async removeLeftoversOfGoneProcesses(): Promise<void> {
    for (const name of await fs.readdir(this.dir)) {
      const pid = Number(/^(\d+)-.*\.(part|copy)$/.exec(name)?.[1]);
      if (Number.isInteger(pid) && pid !== process.pid && !isRunning(pid)) await fs.rm(path.join(this.dir, name), { force: true });
    }
  }
}

function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Signal 0 only checks: EPERM means the process exists but belongs to someone else. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
