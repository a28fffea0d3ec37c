import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Upload } from '@tus/utils';

/** What any process needs to continue an upload: kept as a file, never only in memory. */
export interface UploadRecord {
  id: string;
  size: number;
  /** Bytes that count: received whole and, when a checksum came with them, verified. */
  offset: number;
  metadata: Record<string, string | null>;
  /** ISO date. */
  creationDate: string;
  /** Set once every byte is in and the publish began: a crash since may have stored the file already. */
  completing?: true;
  /** Set once the publish decided (stored or refused): the bytes are gone, the answer stays until expiry. */
  outcome?: CompletionAnswer;
}

/** What the final PATCH answered: POST /media's JSON and its status. */
export interface CompletionAnswer {
  code: number;
  status: number;
  body: unknown;
  /** Set when the upload was kept for a retry: its offset now. */
  offset?: number;
}

/** Every byte is in, the publish has not decided yet (or a crash interrupted it): the next holder of the lock completes it. */
export function isPending(record: UploadRecord): boolean {
  return record.offset === record.size && record.outcome === undefined;
}

/** The record of an upload just created: nothing counted yet. */
export function newRecord(upload: Upload): UploadRecord {
  return { id: upload.id, size: upload.size ?? 0, offset: 0, metadata: upload.metadata ?? {}, creationDate: new Date().toISOString() };
}

/** The upload a record describes, as @tus/server's handlers ask for it. */
export function uploadOf(record: UploadRecord): Upload {
  const { id, size, offset, metadata, creationDate } = record;
  return new Upload({ id, size, offset, metadata, creation_date: creationDate });
}

/** @tus/server's default ids (Uid.rand): 32 hex digits; anything else names no upload. */
const ID = /^[0-9a-f]{32}$/;
const RECORD_SUFFIX = '.json';
const DATA_SUFFIX = '.bin';
/** A second name of the bytes, moved into the byte store's staging for the publish: the `.bin` stays until the publish decided. */
const PUBLISHING_SUFFIX = '.publishing';

/** Resumable uploads as files of the store's private area: `<id>.json` (the record) and `<id>.bin` (the bytes so far). */
export class UploadRecords {
  constructor(readonly directory: string) {}

  isId(id: string): boolean {
    return ID.test(id);
  }

  dataPath(id: string): string {
    return path.join(this.directory, `${id}${DATA_SUFFIX}`);
  }

  publishingPath(id: string): string {
    return path.join(this.directory, `${id}${PUBLISHING_SUFFIX}`);
  }

  lockPath(id: string): string {
    return path.join(this.directory, `${id}.lock`);
  }

  async read(id: string): Promise<UploadRecord | undefined> {
    if (!this.isId(id)) return undefined;
    const text = await fs.readFile(this.recordPath(id), 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    return text === undefined ? undefined : (JSON.parse(text) as UploadRecord);
  }

  /**
   * Replaces the record atomically (write then rename): a reader in another process sees the old
   * or the new one. With `after`, the new one is written meanwhile and replaces the old one only
   * once `after` resolved; it is dropped if `after` rejects.
   */
  async write(record: UploadRecord, after?: Promise<void>): Promise<void> {
    const temp = path.join(this.directory, `${record.id}.${randomUUID()}.tmp`);
    const [written, awaited] = await Promise.allSettled([fs.writeFile(temp, JSON.stringify(record)), after]);
    const failed = [written, awaited].find((outcome) => outcome.status === 'rejected');
    if (failed) {
      await fs.rm(temp, { force: true });
      throw failed.reason;
    }
    await fs.rename(temp, this.recordPath(record.id));
  }

  /** Removes the record first (the upload is gone for every reader), then its bytes. */
  async remove(id: string): Promise<boolean> {
    const existed = await fs.rm(this.recordPath(id)).then(
      () => true,
      () => false,
    );
    await this.removeBytes(id);
    return existed;
  }

  /** Removes the bytes (after the publish decided), keeping the record. */
  async removeBytes(id: string): Promise<void> {
    await Promise.all([fs.rm(this.dataPath(id), { force: true }), fs.rm(this.publishingPath(id), { force: true })]);
  }

  async ids(): Promise<string[]> {
    const names = await fs.readdir(this.directory).catch(() => [] as string[]);
    return names
      .filter((name) => name.endsWith(RECORD_SUFFIX))
      .map((name) => name.slice(0, -RECORD_SUFFIX.length))
      .filter((id) => this.isId(id));
  }

  private recordPath(id: string): string {
    return path.join(this.directory, `${id}${RECORD_SUFFIX}`);
  }
}
