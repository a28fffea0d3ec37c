import { encodeExtended } from 'content-disposition';
import type { Request, RequestHandler, Response } from 'express';
import { analysisHeaders } from './analysis-headers.ts';
import { AppError } from '../errors.ts';
import type { ByteRange } from '../storage/byte-store.ts';
import type { MediaLibrary } from './media-library.ts';
import { parseMediaPath } from './media-path.ts';
import { directorySchema, type MediaPath } from './schemas.ts';
import type { OpenedMedia } from './stored-file.ts';

/**
 * GET|HEAD /media/{directory...}/{filename}: streams the stored file with validators, answers
 * conditional requests with 304 and one byte range with 206 (RFC 9110 sections 13 and 14);
 * `?download=1` asks the client to save it under its name (RFC 6266).
 */
export function downloadHandler(library: MediaLibrary, mayRead: (res: Response, target: MediaPath) => void): RequestHandler {
  return async (req, res) => {
    // A trailing slash (`/media/songs/`) names what the path without it names.
    const given = (req.params as { path: string[] }).path;
    const segments = given.length > 1 && given.at(-1) === '' ? given.slice(0, -1) : given;
    const attachment = wantsAttachment(req.query.download);
    const target = await fileTarget(library, segments);
    mayRead(res, target);
    const file = await library.open(target);
    if (!file) {
      await refuseDirectory(library, segments);
      throw new AppError('NOT_FOUND', `not found: ${target.directory}/${target.filename}`);
    }

    let reading = false;
    try {
      if (attachment) res.set('Content-Disposition', attachmentDisposition(file.filename));
      res.set({
        'Content-Type': file.contentType,
        ETag: `"${file.sha256}"`,
        'Last-Modified': file.modified.toUTCString(),
        'Accept-Ranges': 'bytes',
        'Cache-Control': 'no-cache',
      });
      if (req.fresh) {
        res.status(304).end();
        return;
      }
      const range = requestedRange(req, res, file);
      if (range) {
        res.status(206).set('Content-Range', `bytes ${range.start}-${range.end}/${file.size}`);
      }
      res.set(analysisHeaders(file.metadata));
      res.set('Content-Length', String(range ? range.end - range.start + 1 : file.size));
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      reading = true;
      await send(file, range, res);
    } finally {
      // HEAD, 304, 416: the open file is let go here; a read lets go of it when its stream ends.
      if (!reading) await file.release();
    }
  };
}

/** `?download=1`: an attachment; absent or `0`: inline. */
function wantsAttachment(value: unknown): boolean {
  if (value === undefined || value === '0') return false;
  if (value === '1') return true;
  throw new AppError('INVALID_ARGUMENT', 'invalid argument: download must be 1 or 0');
}

/**
 * `attachment` with the name twice (RFC 6266): `filename*` in RFC 8187 encoding, which browsers
 * prefer, and `filename` as the name's raw UTF-8 octets (obs-text in a quoted-string, RFC 9110
 * 5.6.4) for clients that read only that one: `curl -OJ` saves those octets, i.e. the UTF-8 name,
 * where an ASCII fallback would give it `?? ??.mp3`.
 */
function attachmentDisposition(filename: string): string {
  const octets = Buffer.from(filename.replace(/["\\]/g, '\\$&'), 'utf8').toString('latin1');
  const ascii = /^[\x20-\x7e]*$/.test(filename);
  return `attachment; filename="${octets}"${ascii ? '' : `; filename*=${encodeExtended(filename)}`}`;
}

/** The file a path names. A one-segment path has no directory part (code 503) unless it is a directory. */
async function fileTarget(library: MediaLibrary, segments: string[]): Promise<MediaPath> {
  if (segments.length === 1) await refuseDirectory(library, segments);
  return parseMediaPath({ directory: segments.slice(0, -1).join('/'), filename: segments.at(-1) });
}

/** When the path names a stored directory, not a file: 404 saying how to list it. */
async function refuseDirectory(library: MediaLibrary, segments: string[]): Promise<void> {
  const directory = segments.join('/');
  // The path rules first: nothing unsafe reaches the store.
  if (!directorySchema.safeParse(directory).success) return;
  if ((await library.list(directory, { limit: 1 })) === undefined) return;
  throw new AppError('NOT_FOUND', `${directory} is a directory; list it with GET /media?directory=${directory}`);
}

/** The one range to serve, undefined for the whole file; throws 416 when none can be served. */
function requestedRange(req: Request, res: Response, file: OpenedMedia): ByteRange | undefined {
  if (!req.headers.range || !ifRangeMatches(req, res)) return undefined;
  const ranges = req.range(file.size, { combine: true });
  if (ranges === -1) {
    res.set('Content-Range', `bytes */${file.size}`);
    throw new AppError('RANGE_NOT_SATISFIABLE', `range not satisfiable: the file has ${file.size} bytes`);
  }
  // A malformed Range, another unit, or several ranges, is answered with the whole file, as RFC 9110 14.2 allows.
  if (ranges === -2 || ranges === undefined || ranges.type !== 'bytes' || ranges.length !== 1) return undefined;
  return { start: ranges[0]!.start, end: ranges[0]!.end };
}

/** If-Range: the range applies only if the validator still names this version of the file. */
function ifRangeMatches(req: Request, res: Response): boolean {
  const condition = req.get('If-Range');
  if (!condition) return true;
  if (condition.startsWith('"') || condition.startsWith('W/')) return condition === res.get('ETag');
  return Date.parse(condition) === Date.parse(res.get('Last-Modified') ?? '');
}

const FILE_HEADERS = [
  'Content-Disposition',
  'Content-Type',
  'ETag',
  'Last-Modified',
  'Accept-Ranges',
  'Cache-Control',
  'Content-Range',
  'Content-Length',
  'Audio-Analysis',
  'Audio-Loudness',
];

/**
 * Streams the bytes with `pipe`, not `stream.pipeline`: pipeline builds an AbortController and,
 * when the answer finishes, an AbortError (a stack trace) for every download.
 */
async function send(file: OpenedMedia, range: ByteRange | undefined, res: Response): Promise<void> {
  const bytes = await file.read(range).catch((error: unknown) => {
    // Deleted between open and read (objectVanished): the error answer carries none of the file's headers.
    for (const header of FILE_HEADERS) res.removeHeader(header);
    throw error;
  });
  await new Promise<void>((resolve, reject) => {
    bytes.once('error', (error) => {
      // Once bytes are on the wire the only honest answer to a failure is a cut connection. A
      // client that went away (even before the headers left) lands here too: nothing to answer,
      // and nothing to log as an internal error.
      if (!res.headersSent && !res.destroyed) return reject(error);
      res.destroy();
      resolve();
    });
    // After the last byte, or when the client went away: either way the file is let go.
    res.once('close', () => {
      bytes.destroy();
      resolve();
    });
    bytes.pipe(res);
  });
}
