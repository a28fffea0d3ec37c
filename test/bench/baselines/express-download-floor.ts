import fs from 'node:fs';
import path from 'node:path';
import express from 'express';

/**
 * Diagnostic, not a target's baseline: the raw download server's work (baselines/raw-download-
 * server.ts: stat, then createReadStream, one byte range) as one Express 5 route with no other
 * middleware. Its req/s against the raw server shows what the framework alone costs a download.
 * Usage: express-download-floor.ts <root>.
 */
const root = process.argv[2]!;
const RANGE = /^bytes=(\d+)-(\d+)$/;

const app = express();
app.get('/media/*path', (req, res) => {
  const file = path.join(root, ...(req.params as { path: string[] }).path);
  fs.stat(file, (error, stat) => {
    if (error || !stat.isFile()) {
      res.status(404).end();
      return;
    }
    const match = RANGE.exec(req.headers.range ?? '');
    const start = match ? Number(match[1]) : 0;
    const end = match ? Math.min(Number(match[2]), stat.size - 1) : stat.size - 1;
    res.status(match ? 206 : 200);
    if (match) res.setHeader('content-range', `bytes ${start}-${end}/${stat.size}`);
    res.setHeader('content-type', 'audio/mpeg');
    res.setHeader('content-length', end - start + 1);
    fs.createReadStream(file, { start, end }).pipe(res);
  });
});

const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.stdout.write(`listening ${address.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
