import type { Readable } from 'node:stream';
import type { ChunkVerifier } from '../tus/chunk-verifier.ts';
import type { BucketUploadInfo, Piece } from './bucket-upload-info.ts';
import type { BucketUploadObjects } from './bucket-upload-objects.ts';

/**
 * Writes one chunk of an upload kept in pieces (one smaller than a part): its bytes go up as
 * pieces of about `pieceBytes` while they arrive, at most one in flight while the next fills. They
 * count only once the record lists them: without a checksum each piece as it is up (a crash keeps
 * them), with one after the whole chunk matched; pieces of a chunk that did not count are deleted.
 * Answers the record that counts now.
 */
export async function writePieces(
  objects: BucketUploadObjects,
  pieceBytes: number,
  stream: Readable,
  info: BucketUploadInfo,
  verifier: ChunkVerifier | undefined,
): Promise<BucketUploadInfo> {
  const { id, offset } = info;
  const written: Piece[] = [];
  let recorded = 0;
  const record = async () => {
    const upTo = written.length;
    const size = written.reduce((sum, piece) => sum + piece.size, 0);
    await objects.writeInfo({ ...info, offset: offset + size, pieces: [...info.pieces, ...written] });
    recorded = upTo;
  };
  let position = offset;
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
    inFlight = objects.putPiece(id, start, bytes).then(async (piece) => {
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
      if (heldBytes >= pieceBytes) await send();
    }
    if (heldBytes > 0) await send();
    await inFlight;
    verifier?.verify(offset);
    if (position === offset) return info;
    const counted = { ...info, offset: position, pieces: [...info.pieces, ...written] };
    if (recorded < written.length) await objects.writeInfo(counted);
    return counted;
  } catch (error) {
    await inFlight.catch(() => undefined);
    // Never counted (the record does not list them); deleted now so the bucket keeps only what counts.
    await objects.removePieces(id, written.slice(recorded)).catch(() => undefined);
    throw error;
  }
}
