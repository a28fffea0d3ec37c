import path from 'node:path';
import express from 'express';
import { serveFile } from './serve-file.ts';

/**
 * Diagnostic, not a target's baseline: the raw download server's work (serve-file.ts) as one
 * Express 5 route with no other middleware. Its req/s against the raw server shows what the
 * framework alone costs a download. Usage: express-download-floor.ts <root>.
 */
const root = process.argv[2]!;

const app = express();
app.get('/media/*path', (req, res) => {
  serveFile(path.join(root, ...(req.params as { path: string[] }).path), req.headers.range, res);
});

const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.stdout.write(`listening ${address.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
