import http from 'node:http';
import path from 'node:path';
import { serveFile } from './serve-file.ts';

/**
 * Baseline: the floor cost of serving a file in Node. GET /media/<path> answers the file under
 * `root` with fs.createReadStream, and one `Range: bytes=a-b` with 206; nothing else (no
 * validators, no sidecar, no router). Usage: raw-download-server.ts <root>.
 */
const root = process.argv[2]!;

const server = http.createServer((req, res) => {
  serveFile(path.join(root, decodeURIComponent((req.url ?? '/').replace(/^\/media\//, ''))), req.headers.range, res);
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.stdout.write(`listening ${address.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
