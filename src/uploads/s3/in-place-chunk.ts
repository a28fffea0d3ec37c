import type { Readable } from 'node:stream';
import { extensionOf } from '../../filename-extension.ts';
import { contentTypeFor } from '../../media/content-types.ts';
import { judgedStart } from '../../media/judged-start.ts';
import { parseMediaPath } from '../../media/media-path.ts';
import type { ObjectKey } from '../../storage/byte-store.ts';
import type { PartedStore, SentPart } from '../../storage/parted-store.ts';
import type { UploadRecord } from '../records/upload-records.ts';
import type { ChunkVerifier } from '../tus/chunk-verifier.ts';
import type { BucketUploadInfo, InPlaceState, Piece } from './bucket-upload-info.ts';
import type { BucketUploadObjects } from './bucket-upload-objects.ts';
import { ResumableSha256 } from './resumable-sha256.ts';
import { StreamedPart } from './streamed-part.ts';

export interface InPlaceDeps {
  objects: BucketUploadObjects;
  parted: PartedStore;
  /** The content check of the file's start (throws the refusal), before anything of the file is sent. */
  judgeStart?: (start: Buffer, record: UploadRecord) => Promise<void>;
}

/**
 * Writes one chunk of an upload sent in place: the waiting tail (fetched: less than a part) and
 * the chunk's bytes are cut into parts of the multipart upload, hashed on the way, at most
 * `queueSize` parts in memory or in flight (a streamed POST /media holds as many, in files). A
 * whole part after the first that the chunk's declared length (`declared`, its Content-Length)
 * covers is sent while its bytes arrive (StreamedPart), so receiving and sending overlap; the first
 * part is held whole for the content check, and so are bytes that join a waiting tail. What is
 * left goes as a part of its own when it may (mayGoAlone), else waits in the bucket as the new tail.
 * Without a checksum each part counts as soon as it and those before it are up (the record names
 * it, with the hash state at its end); with one nothing counts before the whole chunk matched, so a
 * refused chunk leaves offset, parts and hash as they were (the parts it sent are sent again under
 * the same numbers, or dropped at the end). A chunk that stops inside a streamed part (the request
 * was cut) counts up to the part before it. Answers the record that counts now.
 */
export async function writeInPlace(
  deps: InPlaceDeps,
  stream: Readable,
  info: BucketUploadInfo,
  verifier: ChunkVerifier | undefined,
  declared?: number,
): Promise<BucketUploadInfo> {
  const { objects, parted } = deps;
  const state = info.inPlace!;
  const hash = await ResumableSha256.resume(state.sha256State);
  const parts = [...state.parts];
  let recorded = info;
  let multipart = state.multipart;
  let position = info.offset;
  /** Buffers of parts that are up, filled again rather than allocated anew. */
  const spare: Buffer[] = [];
  /** The part being filled; none while parts are streamed (a PATCH of whole parts allocates none after the first). */
  let buffer: Buffer | undefined;
  const filling = () => (buffer ??= spare.pop() ?? Buffer.allocUnsafe(parted.partSize));
  let filled = state.incomplete ? (await objects.readPiece(info.id, state.incomplete)).copy(filling()) : 0;
  let numbered = parts.length;
  /** One step per part on its way, in order: done once the part is up and counted (each after those before it). */
  const counting: Promise<void>[] = [];
  const sends: Promise<unknown>[] = [];
  let tail: Piece | undefined;
  /** The part being sent as its bytes arrive, if any. */
  let streaming: StreamedPart | undefined;
  /** Where the chunk ends if it comes whole. */
  const chunkEnd = declared === undefined ? undefined : info.offset + declared;

  const record = async (changes: Partial<BucketUploadInfo>, inPlace: Partial<InPlaceState>) => {
    const replaced = recorded.inPlace!.incomplete;
    recorded = { ...recorded, ...changes, inPlace: { ...recorded.inPlace!, ...inPlace } };
    await objects.writeInfo(recorded);
    // The tail the record named until now is in a part or in the new tail: it counts no more.
    if (replaced && replaced !== recorded.inPlace!.incomplete) await objects.removePieces(info.id, [replaced]).catch(() => undefined);
  };
  /** Counts a part once it and those before it are up; waits while the queue is full. */
  const enqueue = async (sent: Promise<SentPart>, reusable?: Buffer) => {
    sends.push(sent.catch(() => undefined));
    const hashed = hash.save();
    // Without a checksum a part counts as soon as it and those before it are up: a PATCH cut short keeps it.
    const counted = (counting.at(-1) ?? Promise.resolve()).then(async () => {
      parts.push(await sent);
      if (reusable) spare.push(reusable);
      const offset = parts.reduce((sum, part) => sum + part.size, 0);
      if (!verifier) await record({ offset }, { parts: [...parts], sha256State: hashed, incomplete: undefined });
    });
    // Its failure is thrown where it is awaited, never unhandled meanwhile.
    counted.catch(() => undefined);
    counting.push(counted);
    // The part being filled takes a place of the queue too.
    while (counting.length >= parted.queueSize) await counting.shift();
  };
  const cut = async () => {
    const whole = filling();
    const bytes = whole.subarray(0, filled);
    const partNumber = ++numbered;
    if (partNumber === 1) await deps.judgeStart?.(judgedStart(bytes), info);
    if (!multipart) {
      const { key, contentType } = targetOf(info);
      multipart = await parted.beginParts(key, contentType);
      // Named in the record at once: whoever drops the upload aborts it.
      await record({}, { multipart });
    }
    buffer = undefined;
    filled = 0;
    await enqueue(parted.sendPart(multipart, partNumber, bytes), bytes.length === whole.length ? whole : undefined);
  };
  /** A whole part after the judged first one, at a part boundary, that the chunk's declared bytes cover: sent as they arrive. */
  const mayStream = () =>
    filled === 0 && numbered > 0 && multipart !== undefined && chunkEnd !== undefined && chunkEnd - position >= parted.partSize;

  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      verifier?.update(chunk);
      for (let at = 0; at < chunk.length;) {
        streaming ??= mayStream() ? new StreamedPart(parted, multipart!, ++numbered, parted.partSize) : undefined;
        if (streaming) {
          const bytes = chunk.subarray(at, at + streaming.missing);
          hash.update(bytes);
          at += bytes.length;
          position += bytes.length;
          await streaming.write(bytes);
          if (streaming.missing === 0) {
            const whole = streaming;
            streaming = undefined;
            await enqueue(whole.finish());
          }
          continue;
        }
        const copied = chunk.copy(filling(), filled, at);
        hash.update(chunk.subarray(at, at + copied));
        filled += copied;
        at += copied;
        position += copied;
        if (filled === parted.partSize) await cut();
      }
    }
    if (streaming) {
      // The request ended inside a streamed part: the part is cut and the chunk counts up to the part before it.
      await streaming.cut();
      await Promise.all(counting);
      verifier?.verify(info.offset);
      return recorded;
    }
    // The last part may be of any size; a shorter tail goes as a part of its own when it may, else waits for the next chunk.
    if (filled > 0 && (position === info.size || mayGoAlone(parted, filled, numbered, info.size - position))) await cut();
    await Promise.all(counting);
    verifier?.verify(info.offset);
    if (position === info.offset) return recorded;
    // Every part of the chunk is counted and named already (no checksum): the record says it all.
    if (filled === 0 && recorded.offset === position) return recorded;
    if (filled > 0) tail = await objects.putPiece(info.id, position - filled, filling().subarray(0, filled), 'incomplete');
    await record({ offset: position }, { parts, sha256State: hash.save(), incomplete: tail });
    return recorded;
  } catch (error) {
    await streaming?.cut();
    await Promise.allSettled([...sends, ...counting]);
    // A tail the record does not name never counted.
    if (tail && recorded.inPlace!.incomplete !== tail) await objects.removePieces(info.id, [tail]).catch(() => undefined);
    throw error;
  }
}

/**
 * Whether a chunk's tail of `bytes` may be sent as a part shorter than the others, as
 * `@tus/s3-store` sends one (no byte of it is fetched and sent again with the next chunk): it
 * must reach S3's smallest part, and the bytes still to come must fit the parts left in full
 * parts, so that the upload never needs more parts than S3 allows whatever its chunks.
 */
function mayGoAlone(parted: PartedStore, bytes: number, partsBefore: number, toCome: number): boolean {
  return bytes >= parted.minPartSize && partsBefore + 1 + Math.ceil(toCome / parted.partSize) <= parted.maxParts;
}

/** The file's key and content type, as its publish names them (the metadata was judged at creation). */
function targetOf(record: UploadRecord): { key: ObjectKey; contentType: string } {
  const { directory, filename } = record.metadata;
  const target = parseMediaPath({ directory: directory ?? undefined, filename: filename ?? undefined });
  return { key: { directory: target.directory, name: target.filename }, contentType: contentTypeFor(extensionOf(target.filename)) };
}
