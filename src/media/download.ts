import { pipeline } from 'node:stream/promises';
import type { Request, RequestHandler, Response } from 'express';
import { AppError } from '../errors.ts';
import type { ByteRange } from '../storage/byte-store.ts';
import type { MediaLibrary } from './media-library.ts';
import { parseMediaPath } from './media-path.ts';
import type { OpenedMedia } from './stored-file.ts';

/**
 * GET|HEAD /media/{directory...}/{filename}: streams the stored file with validators, answers
 * conditional requests with 304 and one byte range with 206 (RFC 9110 sections 13 and 14).
 */
export function downloadHandler(library: MediaLibrary): RequestHandler {
  return async (req, res) => {
    const segments = (req.params as { path: string[] }).path;
    const target = parseMediaPath({ directory: segments.slice(0, -1).join('/'), filename: segments.at(-1) });
    const file = await library.open(target);
    if (!file) throw new AppError('NOT_FOUND', `not found: ${target.directory}/${target.filename}`);

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
    res.set('Content-Length', String(range ? range.end - range.start + 1 : file.size));
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await send(file, range, res);
  };
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

async function send(file: OpenedMedia, range: ByteRange | undefined, res: Response): Promise<void> {
  try {
    await pipeline(await file.read(range), res);
  } catch (error) {
    // Once bytes are on the wire the only honest answer to a failure is a cut connection. A
    // client that went away (even before the headers left) lands here too: nothing to answer,
    // and nothing to log as an internal error.
    if (!res.headersSent && !res.destroyed) throw error;
    res.destroy();
  }
}
