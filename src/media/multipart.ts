import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import multer, { type StorageEngine } from 'multer';
import { AppError, fileTooLargeReason } from '../errors.ts';
import type { StagingSeam } from '../storage/byte-store.ts';
import type { MediaPath } from './schemas.ts';
import type { StreamPublish } from './stream-publish.ts';
import { receivePart, type ReceivedPart } from './streamed-part.ts';

/** A multipart file part once its bytes are staged, or streamed into the store. */
export type StagedPart = Express.Multer.File & ReceivedPart;

/** How file parts may stream into a store that takes them as they arrive (see receivePart). */
export interface PartStreaming {
  publish: StreamPublish;
  /** The part's target when it may stream (known as the part starts, the body large enough); undefined: staged. */
  targetOf(req: Request, file: Express.Multer.File): MediaPath | undefined;
}

/** Staging still running per request: multer may answer an error before a part's stage settles. */
const staging = new WeakMap<Request, Set<Promise<unknown>>>();
/** Why a part's staging failed (a full disk): the cause to answer, whatever multer saw after it. */
const stagingFailure = new WeakMap<Request, AppError>();

/**
 * Streams every file part into the store's staging area as it arrives, or, with `streaming`, a
 * large one straight into the store; memory stays flat.
 */
class StagingEngine implements StorageEngine {
  constructor(
    private readonly store: StagingSeam,
    private readonly streaming?: PartStreaming,
  ) {}

  _handleFile(req: Request, file: Express.Multer.File, callback: (error?: unknown, info?: Partial<StagedPart>) => void): void {
    const target = this.streaming?.targetOf(req, file);
    const running = receivePart(file.stream, target, this.store, this.streaming?.publish);
    const pending = staging.get(req) ?? new Set();
    staging.set(req, pending.add(running));
    running
      .then(
        (received) => callback(null, { ...received, size: received.staged?.size ?? received.streamed?.size }),
        (error: unknown) => {
          if (error instanceof AppError) stagingFailure.set(req, error);
          callback(error);
        },
      )
      .finally(() => pending.delete(running));
  }

  // multer calls this for every staged part when the request fails (limit, abort, malformed body).
  _removeFile(req: Request, file: Express.Multer.File, callback: (error: Error | null) => void): void {
    const removing = dropPart(this.store, file as Partial<StagedPart>);
    staging.get(req)?.add(removing);
    removing.then(() => callback(null), callback);
  }
}

/** Drops what a part left: its staged bytes, or the parts it sent into the store. */
export async function dropPart(store: StagingSeam, { staged, streamed }: Partial<ReceivedPart>): Promise<void> {
  if (staged) await store.discard(staged);
  await streamed?.sent?.abort();
}

export interface MultipartLimits {
  maxFileSize: number;
  maxFiles: number;
  maxFields: number;
}

/**
 * Error middleware: when a part's stream fails, multer answers at once while the store is still
 * removing that part's temp file. Waiting here means that when the client gets its error, nothing
 * of the request is left on disk.
 */
export const settleStaging: ErrorRequestHandler = (error, req, _res, next) => {
  const pending = [...(staging.get(req) ?? [])];
  // A failed store aborts the part's stream, and multer may report that abort instead.
  void Promise.allSettled(pending).then(() => next(stagingFailure.get(req) ?? error));
};

/** multer with every limit set (its defaults are unlimited) and UTF-8 file names. */
export function multipartParser(store: StagingSeam, limits: MultipartLimits, streaming?: PartStreaming): RequestHandler {
  const parse = multer({
    storage: new StagingEngine(store, streaming),
    defParamCharset: 'utf8',
    // Keep the file name as sent: busboy would otherwise strip '../' silently, and a traversal
    // attempt must be refused (400), not stored under another name.
    preservePath: true,
    limits: {
      fileSize: limits.maxFileSize,
      files: limits.maxFiles,
      fields: limits.maxFields,
      parts: limits.maxFiles + limits.maxFields,
      fieldNameSize: 1024,
      fieldSize: 64 * 1024,
      headerPairs: 100,
    },
  }).any();
  // multer's error names the limit it hit, not its value: the reason states the value.
  return (req, res, next) =>
    parse(req, res, (error?: unknown) =>
      next(
        error instanceof multer.MulterError && error.code === 'LIMIT_FILE_SIZE'
          ? new AppError('TOO_LARGE', fileTooLargeReason(limits.maxFileSize))
          : error,
      ),
    );
}
