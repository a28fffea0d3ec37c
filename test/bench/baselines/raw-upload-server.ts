import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

/**
 * Baseline: the floor cost of HTTP + disk in Node. Streams each request body, unparsed, into a
 * new file under `root`; no parsing, hashing or fsync. Usage: raw-upload-server.ts <root>.
 * Prints `listening <port>` once ready.
 */
const root = process.argv[2]!;
let sequence = 0;

const server = http.createServer((req, res) => {
  const file = path.join(root, `${++sequence}.body`);
  pipeline(req, fs.createWriteStream(file, { flags: 'wx' })).then(
    () => {
      res.setHeader('content-type', 'application/json');
      res.end('{"code":200,"reason":"OK"}');
    },
    () => {
      res.statusCode = 500;
      res.end();
    },
  );
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.stdout.write(`listening ${address.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
