import type { Readable } from 'node:stream';
import { ERRORS, Upload } from '@tus/utils';
import { AppError } from '../../errors.ts';
import type { StagedBytes, StagingSeam, StreamedObject } from '../../storage/byte-store.ts';
import type { PartedStore } from '../../storage/parted-store.ts';
import type { BucketUploadInfo } from './bucket-upload-info.ts';
import type { BucketUploadObjects, ListedUpload } from './bucket-upload-objects.ts';
import { writeInPlace, type InPlaceDeps } from './in-place-chunk.ts';
import { writePieces } from './piece-chunk.ts';
import { ResumableSha256 } from './resumable-sha256.ts';
import type { ChunkVerifier } from '../tus/chunk-verifier.ts';
import { declaredLength, holdRecord } from '../tus/request-context.ts';
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
  /** The byte store's multipart uploads: an upload of a part or more is sent there in place. Without it every upload is kept in pieces. */
  parted?: PartedStore;
}

/**
 * @tus/server's DataStore for the S3 backend: an upload's record and bytes live in the bucket
 * (BucketUploadObjects), so every host sharing the bucket continues any upload. An upload of at
 * least one part (`parted.partSize`) is sent in place: its chunks become the parts of one
 * multipart upload at the file's own key, completed there once the last byte is in, so no byte of
 * it crosses a host again (in-place-chunk.ts). A smaller one goes up as pieces while a PATCH
 * arrives, staged and published whole at the end like a small POST /media (piece-chunk.ts).
 * Bytes count only once the record names them, after the whole chunk arrived and its
 * `Upload-Checksum` (when sent) matched: a chunk that does not match answers 460 and the offset
 * stays. With several hosts the requests of one upload are serialised by the Redis lock (`redis.url`).
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

  /** Set by judgeFirstBytes: the content check of an upload sent in place, before its first part. */
  judgeStart?: (start: Buffer, record: UploadRecord) => Promise<void>;

  override async create(upload: Upload): Promise<Upload> {
    const record = newRecord(upload);
    const inPlace = this.options.parted !== undefined && record.size >= this.options.parted.partSize;
    const info: BucketUploadInfo = { ...record, pieces: [], ...(inPlace ? { inPlace: { parts: [] } } : {}) };
    await this.objects.writeInfo(info);
    return this.created(upload, info);
  }

  protected storedRecord(id: string): Promise<BucketUploadInfo | undefined> {
    return this.objects.readInfo(id);
  }

  protected async writeChunk(stream: Readable, info: BucketUploadInfo, verifier: ChunkVerifier | undefined): Promise<number> {
    const counted = info.inPlace
      ? await writeInPlace(this.inPlaceDeps(), stream, info, verifier, declaredLength())
      : await writePieces(this.objects, this.pieceBytes, stream, info, verifier);
    if (counted !== info) holdRecord(counted);
    this.options.onBytes?.(counted.offset - info.offset);
    return counted.offset;
  }

  /**
   * The bytes of an upload sent in place, ready to be completed where they are (undefined for one
   * kept in pieces, which is staged): its sha256 comes from the hash state the record carries.
   */
  async sentInPlace(record: UploadRecord): Promise<StreamedObject | undefined> {
    const state = (record as BucketUploadInfo).inPlace;
    if (!state) return undefined;
    const counted = state.parts.reduce((sum, part) => sum + part.size, 0);
    if (!state.multipart || counted !== record.size || state.incomplete) {
      throw new AppError('UNKNOWN', `resumable upload ${record.id}: its parts hold ${counted} of ${record.size} bytes`);
    }
    const sha256 = await ResumableSha256.digestOf(state.sha256State);
    return this.parted().partsSent(state.multipart, { parts: state.parts, size: record.size, sha256 });
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

  /** The pieces' bytes (an upload sent in place has its sha256 in sentInPlace instead). */
  readBytes(record: UploadRecord): Readable {
    if ((record as BucketUploadInfo).inPlace) throw new Error(`resumable upload ${record.id} was sent in place: it has no pieces`);
    return this.objects.readPieces(record as BucketUploadInfo);
  }

  /**
   * The record keeps the decision and no pieces; the pieces go after it (the expiry sweep takes any
   * a crash left). The parts of an upload sent in place that did not become the file are dropped.
   */
  async settle(record: UploadRecord, outcome: CompletionAnswer): Promise<void> {
    const { completing: _begun, inPlace, ...info } = record as BucketUploadInfo;
    const settled: BucketUploadInfo = { ...info, offset: info.size, pieces: [], outcome };
    await this.objects.writeInfo(settled);
    holdRecord(settled);
    if (inPlace?.multipart && outcome.status !== 200) await this.parted().abandonParts(inPlace.multipart);
    const pieces = inPlace?.incomplete ? [...info.pieces, inPlace.incomplete] : info.pieces;
    await this.objects.removePieces(info.id, pieces).catch(() => undefined);
  }

  async pendingIds(): Promise<string[]> {
    const pending: string[] = [];
    for (const listed of await this.objects.list()) {
      const info = listed.hasInfo ? await this.objects.readInfo(listed.id) : undefined;
      if (info && isPending(info)) pending.push(listed.id);
    }
    return pending;
  }

  /** Takes the last piece back; an upload sent in place stays complete (its parts are not taken back), for the next request to complete. */
  async rewind(id: string): Promise<number | undefined> {
    const found = await this.objects.readInfo(id);
    const last = found?.inPlace ? undefined : found?.pieces.at(-1);
    if (!found || !last) return undefined;
    const { completing: _begun, ...info } = found;
    const offset = info.offset - last.size;
    await this.objects.writeInfo({ ...info, offset, pieces: info.pieces.slice(0, -1) });
    await this.objects.removePieces(id, [last]).catch(() => undefined);
    return offset;
  }

  async forget(id: string): Promise<void> {
    await this.removeUpload(id);
  }

  override async remove(id: string): Promise<void> {
    const found = await this.objects.readInfo(id);
    const info = found && (await removableRecord(found, () => this.objects.readInfo(id), this.completePending));
    if (!info || !(await this.removeUpload(id))) throw ERRORS.FILE_NOT_FOUND;
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
    await this.removeUpload(id);
    return true;
  }

  async close(): Promise<void> {
    this.closeClient();
  }

  /** Aborts the multipart upload of one sent in place (no pending upload is left), then removes its objects. */
  private async removeUpload(id: string): Promise<boolean> {
    const multipart = (await this.objects.readInfo(id))?.inPlace?.multipart;
    if (multipart) await this.parted().abandonParts(multipart);
    return this.objects.removeUpload(id);
  }

  private inPlaceDeps(): InPlaceDeps {
    return { objects: this.objects, parted: this.parted(), judgeStart: this.judgeStart };
  }

  private parted(): PartedStore {
    if (!this.options.parted) throw new Error('an upload sent in place needs the byte store of its bucket');
    return this.options.parted;
  }

  private async isExpired(listed: ListedUpload, createdBefore: number): Promise<boolean> {
    const info = listed.hasInfo ? await this.objects.readInfo(listed.id) : undefined;
    return info ? Date.parse(info.creationDate) < createdBefore : listed.newest.getTime() < createdBefore;
  }
}
