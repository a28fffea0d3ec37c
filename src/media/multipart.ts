import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import multer, { type StorageEngine } from 'multer';
import { AppError, fileTooLargeReason } from '../errors.ts';
import type { StagedBytes, StagingSeam } from '../storage/byte-store.ts';

/** A multipart file part once its bytes are staged. */
export interface StagedPart extends Express.Multer.File {
  staged: StagedBytes;
}

/** Staging still running per request: multer may answer an error before a part's stage settles. */
const staging = new WeakMap<Request, Set<Promise<unknown>>>();
/** Why a part's staging failed (a full disk): the cause to answer, whatever multer saw after it. */
const stagingFailure = new WeakMap<Request, AppError>();

/**
 * Streams every file part into the store's staging area as it arrives; memory stays flat.
 */
class StagingEngine implements StorageEngine {
  constructor(private readonly store: StagingSeam) {}

  _handleFile(req: Request, file: Express.Multer.File, callback: (error?: unknown, info?: Partial<StagedPart>) => void): void {
    const running = this.store.stage(file.stream);
    const pending = staging.get(req) ?? new Set();
    staging.set(req, pending.add(running));
    running
      .then(
        (staged) => callback(null, { staged, size: staged.size }),
        (error: unknown) => {
          if (error instanceof AppError) stagingFailure.set(req, error);
          callback(error);
        },
      )
      .finally(() => pending.delete(running));
  }

  // multer calls this for every staged part when the request fails (limit, abort, malformed body).
  _removeFile(_req: Request, file: Express.Multer.File, callback: (error: Error | null) => void): void {
    const { staged } = file as Partial<StagedPart>;
    if (!staged) return callback(null);
    this.store.discard(staged).then(() => callback(null), callback);
  }
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
export function multipartParser(store: StagingSeam, limits: MultipartLimits): RequestHandler {
  const parse = multer({
    storage: new StagingEngine(store),
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
