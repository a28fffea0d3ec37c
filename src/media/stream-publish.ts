import { AppError } from '../errors.ts';
import { extensionOf } from '../filename-extension.ts';
import type { StreamedObject, StreamingStore } from '../storage/byte-store.ts';
import type { ContentInspector } from './content-inspector.ts';
import { contentTypeFor } from './content-types.ts';
import type { EventHook, EventOrigin } from './event-hook.ts';
import type { PublishPolicy } from './publish-pipeline.ts';
import type { MediaPath } from './schemas.ts';
import type { MediaAttributes, StoredFile } from './stored-file.ts';
import { FIRST_BYTES, judgedStart } from './judged-start.ts';

/** A file sent whole into the store, judged and hashed, but not yet a file anyone sees. */
export interface SentFile {
  readonly size: number;
  /** Makes it the file at its target inside the media.created event's durable step (FILE_EXISTS when taken). */
  publish(origin?: EventOrigin): Promise<StoredFile>;
  /** Drops what was sent (safe after publish, and twice). */
  abort(): Promise<void>;
}

/**
 * The publish pipeline's way for a file too large to stage, into a store that takes it as it
 * arrives: its first bytes are judged (the content rule of `PublishPipeline`) before anything is
 * sent, so a refused file never reaches the store; then the rest streams in, hashed on the way,
 * and the object is completed, never replacing a file, inside the media.created event's durable
 * step. Audio metadata is not read here (it would need the whole file): `metadata` is null and
 * the analysis of the stored file describes it later.
 */
export class StreamPublish {
  constructor(
    private readonly store: StreamingStore,
    private readonly inspector: ContentInspector,
    private readonly policy: PublishPolicy,
    private readonly events?: EventHook,
  ) {}

  /** Files at least this large are worth streaming; smaller ones are staged. */
  get streamFrom(): number {
    return this.store.streamFrom;
  }

  /** send, then publish: throws AppError FORMAT_NOT_SUPPORTED, FILE_EXISTS, INVALID_ARGUMENT or STORAGE_UNAVAILABLE. */
  async publish(
    body: AsyncIterable<Buffer>,
    target: MediaPath,
    origin: EventOrigin = { keyId: null },
    signal?: AbortSignal,
  ): Promise<StoredFile> {
    return (await this.send(body, target, signal)).publish(origin);
  }

  /**
   * Judges the first bytes, then sends the whole body. A refusal (FORMAT_NOT_SUPPORTED, FILE_EXISTS)
   * comes before any byte is sent, and may leave the body unread; a failure drops what was sent.
   */
  async send(body: AsyncIterable<Buffer>, target: MediaPath, signal?: AbortSignal): Promise<SentFile> {
    const extension = extensionOf(target.filename);
    const source = body[Symbol.asyncIterator]();
    const head = [await firstBytes(source, FIRST_BYTES)];
    if (this.policy.verifyContent) {
      const inspection = await this.inspector.judgeFirstBytes(judgedStart(head[0]!), extension);
      if (!inspection.ok) throw new AppError('FORMAT_NOT_SUPPORTED', `format not supported: ${inspection.problem}`);
    }
    const key = { directory: target.directory, name: target.filename };
    // startingWith empties `head` as it hands it on: this frame keeps no part's worth while the body goes.
    const sent = await this.store.stream(startingWith(head, source), key, contentTypeFor(extension), signal);
    return this.adopt(sent, target);
  }

  /**
   * A body in the store but not yet a file, published as send's are (no audio metadata): one
   * this class sent, or the parts of a resumable upload, whose start was judged before its first part.
   */
  adopt(sent: StreamedObject, target: MediaPath): SentFile {
    const attributes: MediaAttributes = { contentType: contentTypeFor(extensionOf(target.filename)), metadata: null };
    return {
      size: sent.size,
      abort: () => sent.abort(),
      publish: async (origin = { keyId: null }) => {
        try {
          const complete = () => sent.complete({ ...attributes });
          const stored = this.events
            ? await this.events.created({ ...target, size: sent.size, ...attributes }, origin, complete)
            : await complete();
          return { ...target, size: stored.size, sha256: stored.sha256, ...attributes };
        } catch (error) {
          await sent.abort();
          throw error;
        }
      },
    };
  }
}

/** At least the first `count` bytes of `source` (fewer when it ends first), in one buffer: a first chunk that long as it is. */
async function firstBytes(source: AsyncIterator<Buffer>, count: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  while (length < count) {
    const next = await source.next();
    if (next.done) break;
    chunks.push(next.value);
    length += next.value.length;
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
}

/** `head`'s buffers (the empty ones left out), then what `rest` yields. */
export async function* startingWith(head: Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  // Each is let go of as it is handed on: a part's worth held at the start is not kept for the whole body.
  for (let bytes = head.shift(); bytes !== undefined; bytes = head.shift()) if (bytes.length > 0) yield bytes;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}
