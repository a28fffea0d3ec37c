import cors from 'cors';
import type { RequestHandler } from 'express';

/** What a browser may read of an answer beyond the safelisted headers (tus-js-client needs Location and Upload-Offset). */
const EXPOSED = [
  'Location',
  'Upload-Offset',
  'Upload-Length',
  'Upload-Expires',
  'Upload-Metadata',
  'Tus-Resumable',
  'Tus-Version',
  'Tus-Extension',
  'Tus-Max-Size',
  'Tus-Checksum-Algorithm',
  // What a page reads of a download: the part it got (206), the version, the file's name.
  'Content-Range',
  'ETag',
  'Content-Disposition',
];

/**
 * CORS for browser clients on `origins` (exact matches). With `passPreflight` the route answers
 * OPTIONS itself after these headers are set (tus's OPTIONS carries Tus-Version and Tus-Extension).
 */
export function corsFor(origins: readonly string[], passPreflight: boolean): RequestHandler {
  return cors({
    origin: [...origins],
    methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
    exposedHeaders: EXPOSED,
    maxAge: 86_400,
    preflightContinue: passPreflight,
  });
}
