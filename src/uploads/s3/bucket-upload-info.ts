import type { PartedUpload, SentPart } from '../../storage/parted-store.ts';
import type { UploadRecord } from '../records/upload-records.ts';

/** One piece of an upload's bytes: an object below the upload's prefix. */
export interface Piece {
  /** Its name below `<prefix>.resumable/<id>/`. */
  name: string;
  size: number;
}

/**
 * The upload's record in the bucket: what counts, in order. Pieces not listed here never counted.
 * An upload of a part or more (`inPlace`) keeps no pieces: its bytes are the parts of a multipart
 * upload at the file's own key, and a tail shorter than a part.
 */
export interface BucketUploadInfo extends UploadRecord {
  pieces: Piece[];
  inPlace?: InPlaceState;
}

/** Where an upload sent in place stands, in its record: whatever host takes its next chunk carries on from it. */
export interface InPlaceState {
  /** The multipart upload at the file's own key: begun when the first part is due, once the file's start passed the content check. */
  multipart?: PartedUpload;
  /** The parts that count, in order: partSize long, or a chunk's tail of at least minPartSize, or the last. */
  parts: SentPart[];
  /** hash-wasm's saved SHA-256 state over every byte that counts (base64); absent before the first. */
  sha256State?: string;
  /** The bytes past the last part, too few for a part: the next chunk's bytes follow them into one. */
  incomplete?: Piece;
}
