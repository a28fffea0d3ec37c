import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type ListObjectsV2CommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { AppError } from '../../errors.ts';
import { mapBounded } from '../../storage/s3/bounded.ts';
import { objectBody } from '../../storage/s3/object-body.ts';
import { isNotFound, unavailable } from '../../storage/s3/s3-errors.ts';
import type { BucketUploadInfo, Piece } from './bucket-upload-info.ts';

/** What the sweep needs to know of an upload's objects. */
export interface ListedUpload {
  id: string;
  hasInfo: boolean;
  /** The newest LastModified of its objects. */
  newest: Date;
}

const INFO = 'info.json';
/** @tus/server's default ids (Uid.rand): 32 hex digits; anything else names no upload. */
const ID = /^[0-9a-f]{32}$/;
const DELETE_CONCURRENCY = 8;

/**
 * The objects of resumable uploads in the bucket, under a prefix the media API can never name
 * (`<prefix>.resumable/<id>/`, every API name segment starts with something else than a dot):
 * `info.json`, the record, and `piece-<start>-<random>` objects, the bytes (`incomplete-...` for
 * the tail of an upload sent in place). A piece gets a new name on every attempt, so a retried
 * chunk never overwrites bytes that count.
 */
export class BucketUploadObjects {
  private readonly root: string;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    /** The store's key prefix (ObjectKeys.prefix: '' or ending in '/'). */
    prefix: string,
    private readonly timeoutMs: number,
  ) {
    this.root = `${prefix}.resumable/`;
  }

  isId(id: string): boolean {
    return ID.test(id);
  }

  async readInfo(id: string): Promise<BucketUploadInfo | undefined> {
    if (!this.isId(id)) return undefined;
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(id, INFO) }), {
        abortSignal: this.deadline(),
      });
      return JSON.parse(await answer.Body!.transformToString('utf8')) as BucketUploadInfo;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this.unavailable(error);
    }
  }

  /** Replaces the record: one PUT, so a reader on any host sees the old or the new one whole. */
  async writeInfo(info: BucketUploadInfo): Promise<void> {
    await this.put(this.key(info.id, INFO), JSON.stringify(info), 'application/json');
  }

  /** Stores bytes as a new piece of the upload starting at `start`; the piece counts once the record lists it. */
  async putPiece(id: string, start: number, bytes: Buffer, kind: 'piece' | 'incomplete' = 'piece'): Promise<Piece> {
    const name = `${kind}-${String(start).padStart(13, '0')}-${randomBytes(4).toString('hex')}`;
    await this.put(this.key(id, name), bytes, 'application/octet-stream', bytes.length);
    return { name, size: bytes.length };
  }

  /** The listed pieces' bytes, in order, one GET at a time (the next one asked for while the last is read). */
  readPieces(info: Pick<BucketUploadInfo, 'id' | 'pieces'>): Readable {
    const open = (piece: Piece) =>
      objectBody(this.client, { Bucket: this.bucket, Key: this.key(info.id, piece.name) }, this.timeoutMs).catch((error: unknown) => {
        throw this.unavailable(error);
      });
    const pieces = info.pieces;
    async function* bytes(): AsyncGenerator<Buffer> {
      let next = pieces.length > 0 ? open(pieces[0]!) : undefined;
      for (let i = 0; i < pieces.length; i++) {
        const body = await next!;
        // Swallowed here, thrown by the await in the next round: no unhandled rejection meanwhile.
        next = i + 1 < pieces.length ? open(pieces[i + 1]!) : undefined;
        next?.catch(() => undefined);
        for await (const chunk of body) yield chunk as Buffer;
      }
    }
    return Readable.from(bytes());
  }

  /** One piece's bytes whole (a tail shorter than a part, to be prepended to the next chunk). */
  async readPiece(id: string, piece: Piece): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.readPieces({ id, pieces: [piece] })) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    if (bytes.length !== piece.size)
      throw this.unavailable(new Error(`${piece.name} of upload ${id} came back with ${bytes.length} bytes`));
    return bytes;
  }

  /** Deletes pieces (those of a chunk that did not count). Missing ones are no error. */
  async removePieces(id: string, pieces: Piece[]): Promise<void> {
    await mapBounded(pieces, DELETE_CONCURRENCY, (piece) => this.delete(this.key(id, piece.name)));
  }

  /** Deletes the record (the upload is gone for every host), then every object under the upload's prefix. Whether there was a record. */
  async removeUpload(id: string): Promise<boolean> {
    if (!this.isId(id)) return false;
    const existed = (await this.readInfo(id)) !== undefined;
    await this.delete(this.key(id, INFO));
    const rest = await this.listKeys(`${this.root}${id}/`);
    await mapBounded(rest, DELETE_CONCURRENCY, (key) => this.delete(key));
    return existed;
  }

  /** Every upload with objects in the bucket, or the one upload `id` (when it has any). */
  async list(id?: string): Promise<ListedUpload[]> {
    const uploads = new Map<string, ListedUpload>();
    for (const { key, modified } of await this.listObjects(id === undefined ? this.root : `${this.root}${id}/`)) {
      const [id, name] = key.slice(this.root.length).split('/');
      if (id === undefined || !this.isId(id)) continue;
      const upload = uploads.get(id) ?? { id, hasInfo: false, newest: modified };
      if (name === INFO) upload.hasInfo = true;
      if (modified > upload.newest) upload.newest = modified;
      uploads.set(id, upload);
    }
    return [...uploads.values()];
  }

  private key(id: string, name: string): string {
    return `${this.root}${id}/${name}`;
  }

  private async listKeys(prefix: string): Promise<string[]> {
    return (await this.listObjects(prefix)).map(({ key }) => key);
  }

  private async listObjects(prefix: string): Promise<Array<{ key: string; modified: Date }>> {
    const found: Array<{ key: string; modified: Date }> = [];
    let token: string | undefined;
    do {
      const page: ListObjectsV2CommandOutput = await this.client
        .send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }), { abortSignal: this.deadline() })
        .catch((error: unknown) => {
          throw this.unavailable(error);
        });
      for (const object of page.Contents ?? []) found.push({ key: object.Key!, modified: object.LastModified ?? new Date(0) });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found;
  }

  private async put(Key: string, Body: string | Buffer, ContentType: string, ContentLength?: number): Promise<void> {
    // A piece's PUT may take 1 s more per MiB, as the store's PUTs do.
    const timeout = this.timeoutMs + Math.ceil((ContentLength ?? 0) / 2 ** 20) * 1000;
    await this.client
      .send(new PutObjectCommand({ Bucket: this.bucket, Key, Body, ContentType, ContentLength }), {
        abortSignal: AbortSignal.timeout(timeout),
      })
      .catch((error: unknown) => {
        throw this.unavailable(error);
      });
  }

  private async delete(Key: string): Promise<void> {
    await this.client
      .send(new DeleteObjectCommand({ Bucket: this.bucket, Key }), { abortSignal: this.deadline() })
      .catch((error: unknown) => {
        if (!isNotFound(error)) throw this.unavailable(error);
      });
  }

  private deadline(): AbortSignal {
    return AbortSignal.timeout(this.timeoutMs);
  }

  private unavailable(error: unknown): AppError {
    return unavailable(error, this.bucket);
  }
}
