import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ByteStore, ObjectKey } from '../storage/byte-store.ts';
import type { StorageConfig } from '../storage/config.ts';
import { createS3Client } from '../storage/s3/s3-client.ts';
import type { AnalysisRecord } from './analysis-record.ts';
import type { AnalysisResults } from './analysis-results.ts';

/**
 * Analysis results in the bucket, beside the files: `<prefix>.analysis/<h>.json` and `.dat`, h the
 * SHA-256 of the file's path. The S3 store lists no name starting with '.', so they are never
 * media; every host sharing the bucket serves them. Peaks are written on local disk first (the
 * store's private area), then put whole.
 */
export class S3Results implements AnalysisResults {
  private constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly workDirectory: string,
    private readonly timeoutMs: number,
  ) {}

  static async create(s3: StorageConfig['s3'], store: ByteStore): Promise<S3Results> {
    const { endpoint, region, forcePathStyle, timeoutMs, bucket, prefix } = s3;
    const client = createS3Client({ endpoint, region, forcePathStyle, timeoutMs, maxSockets: 16, maxAttempts: 2 });
    const base = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    return new S3Results(client, bucket!, `${base}.analysis/`, await store.privateDirectory('analysis'), timeoutMs);
  }

  async workFile(): Promise<string> {
    return path.join(this.workDirectory, `work-${randomUUID()}.dat`);
  }

  async save(key: ObjectKey, record: AnalysisRecord, peaksFile?: string): Promise<void> {
    const base = this.base(key);
    try {
      if (peaksFile) {
        const { size } = await fs.stat(peaksFile);
        await this.put(`${base}.dat`, createReadStream(peaksFile), size);
      }
      // The record last: once it says done, the peaks are there.
      await this.put(`${base}.json`, JSON.stringify(record));
    } finally {
      if (peaksFile) await fs.rm(peaksFile, { force: true });
    }
  }

  async record(key: ObjectKey): Promise<AnalysisRecord | undefined> {
    const body = await this.get(`${this.base(key)}.json`);
    return body && (JSON.parse(await body.transformToString()) as AnalysisRecord);
  }

  async peaks(key: ObjectKey): Promise<Readable | undefined> {
    return (await this.get(`${this.base(key)}.dat`)) as Readable | undefined;
  }

  async remove(key: ObjectKey): Promise<void> {
    const base = this.base(key);
    // One DeleteObject each: DeleteObjects needs a body checksum that not every S3 peer accepts.
    for (const Key of [`${base}.json`, `${base}.dat`])
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }), { abortSignal: this.deadline() });
  }

  close(): void {
    this.client.destroy();
  }

  private async put(Key: string, Body: string | Readable, ContentLength?: number): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body, ContentLength }), { abortSignal: this.deadline() });
  }

  private async get(Key: string) {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }), { abortSignal: this.deadline() });
      return answer.Body as (Readable & { transformToString(): Promise<string> }) | undefined;
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  private deadline(): AbortSignal {
    return AbortSignal.timeout(this.timeoutMs);
  }

  private base(key: ObjectKey): string {
    return this.prefix + createHash('sha256').update(`${key.directory}\0${key.name}`).digest('hex');
  }
}
