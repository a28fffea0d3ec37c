import { mkdirSync } from 'node:fs';
import path from 'node:path';
import express from 'express';
import multer from 'multer';
import { announce, exitOnSigterm, expressObservability } from './observe.ts';

/**
 * Peer: Express 5 + multer `diskStorage`, each file part written to `<root>/<field name>/<filename>`
 * as it arrives; no content check, hash or fsync. Usage: express-multer-disk.ts <root>.
 */
const root = process.argv[2]!;
const made = new Set<string>();
const storage = multer.diskStorage({
  destination(_req, file, done) {
    const directory = path.join(root, file.fieldname);
    if (!made.has(directory)) {
      mkdirSync(directory, { recursive: true });
      made.add(directory);
    }
    done(null, directory);
  },
  filename: (_req, file, done) => done(null, file.originalname),
});
const upload = multer({ storage, defParamCharset: 'utf8', limits: { fileSize: 100 * 1024 * 1024, files: 10, fields: 20, parts: 30 } });

const app = express();
app.use(expressObservability('/media'));
app.post('/media', upload.any(), (req, res) => {
  const files = (req.files ?? []) as Express.Multer.File[];
  res.json({ code: 200, reason: 'OK', files: files.map((file) => ({ filename: file.originalname, size: file.size })) });
});
const server = app.listen(0, '127.0.0.1', () => announce(server));
exitOnSigterm(() => {
  server.closeAllConnections();
  server.close();
});
