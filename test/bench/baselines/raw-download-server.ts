import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

/**
 * Baseline: the floor cost of serving a file in Node. GET /media/<path> answers the file under
 * `root` with fs.createReadStream, and one `Range: bytes=a-b` with 206; nothing else (no
 * validators, no sidecar, no router). Usage: raw-download-server.ts <root>.
 */
const root = process.argv[2]!;
const RANGE = /^bytes=(\d+)-(\d+)$/;

const server = http.createServer((req, res) => {
  const file = path.join(root, decodeURIComponent((req.url ?? '/').replace(/^\/media\//, '')));
  fs.stat(file, (error, stat) => {
    if (error || !stat.isFile()) {
      res.statusCode = 404;
      res.end();
      return;
    }
    const match = RANGE.exec(req.headers.range ?? '');
    const start = match ? Number(match[1]) : 0;
    const end = match ? Math.min(Number(match[2]), stat.size - 1) : stat.size - 1;
    res.statusCode = match ? 206 : 200;
    if (match) res.setHeader('content-range', `bytes ${start}-${end}/${stat.size}`);
    res.setHeader('content-type', 'audio/mpeg');
    res.setHeader('content-length', end - start + 1);
    fs.createReadStream(file, { start, end }).pipe(res);
  });
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.stdout.write(`listening ${address.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
