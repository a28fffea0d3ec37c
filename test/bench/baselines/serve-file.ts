import fs from 'node:fs';
import type { ServerResponse } from 'node:http';

const RANGE = /^bytes=(\d+)-(\d+)$/;

/**
 * The raw download server's whole work, shared with its Express twin so the two differ only by
 * the framework: stat, then createReadStream; one `Range: bytes=a-b` answers 206; no validators.
 */
export function serveFile(file: string, range: string | undefined, res: ServerResponse): void {
  fs.stat(file, (error, stat) => {
    if (error || !stat.isFile()) {
      res.statusCode = 404;
      res.end();
      return;
    }
    const match = RANGE.exec(range ?? '');
    const start = match ? Number(match[1]) : 0;
    const end = match ? Math.min(Number(match[2]), stat.size - 1) : stat.size - 1;
    res.statusCode = match ? 206 : 200;
    if (match) res.setHeader('content-range', `bytes ${start}-${end}/${stat.size}`);
    res.setHeader('content-type', 'audio/mpeg');
    res.setHeader('content-length', end - start + 1);
    fs.createReadStream(file, { start, end }).pipe(res);
  });
}
