import type { IncomingMessage } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import zlib from 'node:zlib';
import { AppError } from '../errors.ts';
import type { StagingSeam } from '../storage/byte-store.ts';
import { handOver } from '../storage/staging/spent-buffers.ts';
import { StagingBody } from './staging-body.ts';
import type { UploadCandidate } from './upload-service.ts';
import { UrlencodedScanner } from './urlencoded-scanner.ts';

export interface UrlencodedUploadLimits {
  maxFileSize: number;
  maxFields: number;
  /** The target when the body names none (a signed upload URL names it). */
  defaultTarget?: { directory: string; filename: string };
}

/** The fields besides `body` an upload reads; any other field is counted and ignored. */
const NAMED = ['directory', 'filename'] as const;
/** Field names and the values of fields other than `body` (a directory of 8 fully encoded 255-byte segments fits). */
export const URLENCODED_FIELD_LIMITS = { maxNameBytes: 1024, maxValueBytes: 8 * 1024 };
/** Room for the names and separators around a fully percent-encoded file (3 bytes per byte). */
export const URLENCODED_OVERHEAD = 64 * 1024;

const DECOMPRESSORS: Record<string, () => Transform> = {
  deflate: zlib.createInflate,
  gzip: zlib.createGunzip,
  br: zlib.createBrotliDecompress,
};

/**
 * An application/x-www-form-urlencoded upload read as it arrives: `body` is decoded piece by piece
 * straight into the store's staging, `directory` and `filename` are held (small, bounded), in any
 * order. Every missing or doubled field is judged once the request is read; on any failure,
 * whatever was staged is removed before the error is thrown.
 */
export async function readUrlencodedUpload(
  req: IncomingMessage,
  store: StagingSeam,
  limits: UrlencodedUploadLimits,
): Promise<UploadCandidate> {
  const names = new Map<string, string>();
  /** The ArrayBuffer of the piece being scanned when the piece is all of it (the HTTP parser copies each body chunk into its own). */
  let wholePiece: ArrayBufferLike | undefined;
  const body = new StagingBody(store, limits.maxFileSize);
  const scanner = new UrlencodedScanner(
    'body',
    { maxFields: limits.maxFields, ...URLENCODED_FIELD_LIMITS },
    {
      field(name, value) {
        if (!(NAMED as readonly string[]).includes(name)) return;
        if (names.has(name)) throw givenTwice(name);
        names.set(name, value.toString('utf8'));
      },
      streamStart() {
        if (body.started) throw givenTwice('body');
        body.start();
      },
      // Bytes decoded into a piece the request gave whole: staging frees it once written.
      streamData: (bytes) => body.write(bytes.buffer === wholePiece ? handOver(bytes) : bytes),
      streamEnd: () => body.end(),
    },
  );
  const maxBytes = limits.maxFileSize * 3 + URLENCODED_OVERHEAD;
  let source: Readable = req;
  try {
    source = decompressed(req);
    let received = 0;
    for await (const piece of source.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      received += piece.length;
      if (received > maxBytes) throw new AppError('TOO_LARGE', `request body larger than the limit of ${maxBytes} bytes`);
      // The request's pieces are read once, by this loop alone: the scanner may decode into them.
      wholePiece = source === req && piece.byteOffset === 0 && piece.byteLength === piece.buffer.byteLength ? piece.buffer : undefined;
      scanner.write(piece, true);
      await body.flowing();
    }
    scanner.end();
    const staged = await body.staged();
    const [directory, filename] = NAMED.map((name) => names.get(name) ?? limits.defaultTarget?.[name]);
    for (const [name, value] of Object.entries({ directory, filename, body: staged })) {
      if (!value) throw new AppError('MISSING_ARGUMENT', `required argument missing: ${name}`);
    }
    return { directory, filename, staged };
  } catch (error) {
    // Read off the rest of the request so the client gets the answer.
    req.unpipe();
    req.resume();
    if (source !== req) source.destroy();
    await body.discard();
    throw requestError(req, error);
  }
}

function givenTwice(name: string): AppError {
  return new AppError('INVALID_ARGUMENT', `invalid argument: ${name} given more than once`);
}

/** The request's bytes, inflated when it has a Content-Encoding, as body-parser did. */
function decompressed(req: IncomingMessage): Readable {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'identity') return req;
  const create = DECOMPRESSORS[encoding];
  if (!create) throw new AppError('UNSUPPORTED_MEDIA_TYPE', `unsupported content encoding "${encoding}"`);
  const inflater = create();
  // pipe() does not pass the request's errors on: an abort must end the read.
  req.once('error', (error) => inflater.destroy(error));
  return req.pipe(inflater);
}

function requestError(req: IncomingMessage, error: unknown): unknown {
  if (error instanceof AppError) return error;
  if (req.errored === error || (error as { code?: string }).code === 'ECONNRESET') {
    return new AppError('INVALID_ARGUMENT', 'request aborted by the client');
  }
  if (typeof (error as { code?: unknown }).code === 'string' && (error as { code: string }).code.startsWith('Z_')) {
    return new AppError('INVALID_ARGUMENT', `malformed body: ${(error as Error).message}`);
  }
  return error;
}
