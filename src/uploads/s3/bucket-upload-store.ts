import type { Readable } from 'node:stream';
import { ERRORS, Upload } from '@tus/utils';
import { AppError } from '../../errors.ts';
import type { StagedBytes, StagingSeam } from '../../storage/byte-store.ts';
import type { BucketUploadInfo, BucketUploadObjects, ListedUpload, Piece } from './bucket-upload-objects.ts';
import type { ChunkVerifier } from '../tus/chunk-verifier.ts';
import { holdRecord } from '../tus/request-context.ts';
import { RecordedDataStore } from '../tus/recorded-data-store.ts';
import type { ResumableDataStore } from '../tus/resumable-data-store.ts';
import { isPending, newRecord, type CompletionAnswer, type UploadRecord } from '../records/upload-records.ts';
import { removableRecord } from '../records/settled-record.ts';

/** A chunk goes to the bucket in pieces of about this size: a PATCH holds at most two in memory. */
export const PIECE_BYTES = 8 * 1024 * 1024;

export interface BucketUploadStoreOptions {
  expireAfterMs: number;
  /** Bytes that counted (received whole and verified). */
  onBytes?: (bytes: number) => void;
  /** Pieces of at most about this many bytes (tests make it small). */
  pieceBytes?: number;
}

/**
 * @tus/server's DataStore for the S3 backend: an upload's record and bytes live in the bucket
 * (BucketUploadObjects), so every host sharing the bucket continues any upload. A PATCH's bytes
 * go up as pieces while they arrive; they count only once the record lists them, which happens
 * after the whole chunk arrived and its `Upload-Checksum` (when sent) matched. A chunk that does
 * not match answers 460, its pieces are deleted and the offset stays. With several hosts the
 * requests of one upload are serialised by the Redis lock (`redis.url`).
 */
export class BucketUploadStore extends RecordedDataStore<BucketUploadInfo> implements ResumableDataStore {
  private readonly pieceBytes: number;

  constructor(
    private readonly objects: BucketUploadObjects,
    private readonly options: BucketUploadStoreOptions,
    private readonly closeClient: () => void = () => undefined,
  ) {
    super();
    this.pieceBytes = options.pieceBytes ?? PIECE_BYTES;
  }

  override async create(upload: Upload): Promise<Upload> {
    const info: BucketUploadInfo = { ...newRecord(upload), pieces: [] };
    await this.objects.writeInfo(info);
    return this.created(upload, info);
  }

  protected storedRecord(id: string): Promise<BucketUploadInfo | undefined> {
    return this.objects.readInfo(id);
  }

  protected async writeChunk(stream: Readable, info: BucketUploadInfo, verifier: ChunkVerifier | undefined): Promise<number> {
    const { id, offset } = info;
    const written: Piece[] = [];
    // Without a checksum the bytes count as they arrive: the record lists each piece once it is up (a crash keeps them).
    let recorded = 0;
    const record = async () => {
      const upTo = written.length;
      const size = written.reduce((sum, piece) => sum + piece.size, 0);
      await this.objects.writeInfo({ ...info, offset: offset + size, pieces: [...info.pieces, ...written] });
      recorded = upTo;
    };
    let position = offset;
    // At most one piece in flight to the bucket while the next one arrives.
    let inFlight: Promise<void> = Promise.resolve();
    let held: Buffer[] = [];
    let heldBytes = 0;
    const send = async () => {
      const bytes = Buffer.concat(held, heldBytes);
      const start = position;
      position += bytes.length;
      held = [];
      heldBytes = 0;
      await inFlight;
      inFlight = this.objects.putPiece(id, start, bytes).then(async (piece) => {
        written.push(piece);
        if (!verifier) await record();
      });
      // Its failure is thrown by the next `await inFlight`, never unhandled meanwhile.
      inFlight.catch(() => undefined);
    };
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        verifier?.update(chunk);
        held.push(chunk);
        heldBytes += chunk.length;
        if (heldBytes >= this.pieceBytes) await send();
      }
      if (heldBytes > 0) await send();
      await inFlight;
      verifier?.verify(offset);
      if (position > offset) {
        const counted = { ...info, offset: position, pieces: [...info.pieces, ...written] };
        if (recorded < written.length) await this.objects.writeInfo(counted);
        holdRecord(counted);
      }
    } catch (error) {
      await inFlight.catch(() => undefined);
      // Never counted (the record does not list them); deleted now so the bucket keeps only what counts.
      await this.objects.removePieces(id, written.slice(recorded)).catch(() => undefined);
      throw error;
    }
    this.options.onBytes?.(position - offset);
    return position;
  }

  /** Streams the pieces back to this host's staging, hashed there as for any upload. */
  async stageComplete(store: StagingSeam, upload: Upload): Promise<StagedBytes> {
    const info = await this.objects.readInfo(upload.id);
    if (!info) throw ERRORS.FILE_NOT_FOUND;
    const counted = info.pieces.reduce((sum, piece) => sum + piece.size, 0);
    if (counted !== info.size || info.offset !== info.size) {
      throw new AppError('UNKNOWN', `resumable upload ${info.id}: its pieces hold ${counted} of ${info.size} bytes`);
    }
    const staged = await store.stage(this.objects.readPieces(info));
    if (staged.size !== info.size) {
      await store.discard(staged);
      throw new AppError('STORAGE_UNAVAILABLE', `storage unavailable: the pieces of upload ${info.id} came back with ${staged.size} bytes`);
    }
    return staged;
  }

  async markCompleting(record: UploadRecord): Promise<void> {
    const completing = { ...(record as BucketUploadInfo), completing: true as const };
    await this.objects.writeInfo(completing);
    holdRecord(completing);
  }

  readBytes(record: UploadRecord): Readable {
    return this.objects.readPieces(record as BucketUploadInfo);
  }

  /** The record keeps the decision and no pieces; the pieces go after it (the expiry sweep takes any a crash left). */
  async settle(record: UploadRecord, outcome: CompletionAnswer): Promise<void> {
    const { completing: _begun, ...info } = record as BucketUploadInfo;
    const settled: BucketUploadInfo = { ...info, offset: info.size, pieces: [], outcome };
    await this.objects.writeInfo(settled);
    holdRecord(settled);
    await this.objects.removePieces(info.id, info.pieces).catch(() => undefined);
  }

  async pendingIds(): Promise<string[]> {
    const pending: string[] = [];
    for (const listed of await this.objects.list()) {
      const info = listed.hasInfo ? await this.objects.readInfo(listed.id) : undefined;
      if (info && isPending(info)) pending.push(listed.id);
    }
    return pending;
  }

  async rewind(id: string): Promise<number | undefined> {
    const found = await this.objects.readInfo(id);
    const last = found?.pieces.at(-1);
    if (!found || !last) return undefined;
    const { completing: _begun, ...info } = found;
    const offset = info.offset - last.size;
    await this.objects.writeInfo({ ...info, offset, pieces: info.pieces.slice(0, -1) });
    await this.objects.removePieces(id, [last]).catch(() => undefined);
    return offset;
  }

  async forget(id: string): Promise<void> {
    await this.objects.removeUpload(id);
  }

  override async remove(id: string): Promise<void> {
    const found = await this.objects.readInfo(id);
    const info = found && (await removableRecord(found, () => this.objects.readInfo(id), this.completePending));
    if (!info || !(await this.objects.removeUpload(id))) throw ERRORS.FILE_NOT_FOUND;
  }

  override getExpiration(): number {
    return this.options.expireAfterMs;
  }

  /**
   * Uploads created before `createdBefore`, and objects left without a record (a host that died
   * while removing an upload) whose newest object is that old.
   */
  async expiredIds(createdBefore: number): Promise<string[]> {
    const expired: string[] = [];
    for (const listed of await this.objects.list()) if (await this.isExpired(listed, createdBefore)) expired.push(listed.id);
    return expired;
  }

  async removeIfExpired(id: string, createdBefore: number): Promise<boolean> {
    const [listed] = await this.objects.list(id);
    if (!listed || !(await this.isExpired(listed, createdBefore))) return false;
    await this.objects.removeUpload(id);
    return true;
  }

  async close(): Promise<void> {
    this.closeClient();
  }

  private async isExpired(listed: ListedUpload, createdBefore: number): Promise<boolean> {
    const info = listed.hasInfo ? await this.objects.readInfo(listed.id) : undefined;
    return info ? Date.parse(info.creationDate) < createdBefore : listed.newest.getTime() < createdBefore;
  }
}
