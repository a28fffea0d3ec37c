import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import express from 'express';
import { fileTypeFromBuffer } from 'file-type';
import multer from 'multer';
import { parseBuffer } from 'music-metadata';
import { pino } from 'pino';

/**
 * Diagnostic, not a target's baseline: the least work a small upload must cost under the spec, on
 * Express 5 + multer 2, everything on the event loop. Per file part (memory storage): the content
 * check (file-type) and audio metadata (music-metadata), its sha256, a temp file written and
 * fsynced, linked to its name without replacing one (EEXIST: 409), the directory fsynced, one row
 * in a SQLite index (WAL, synchronous = NORMAL), one info log line per request. No validation of
 * names, pools, auth, events, security headers or metrics. Usage: express-multer-durable-floor.ts <root>.
 */
const root = process.argv[2]!;
const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: 100 * 1024 * 1024, files: 10, fields: 20 } });
const log = pino({ level: 'info' });
const made = new Set<string>();
await fs.mkdir(root, { recursive: true });
const db = new DatabaseSync(path.join(root, '.index.sqlite'));
db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL');
db.exec(
  'CREATE TABLE IF NOT EXISTS files (directory TEXT, filename TEXT, size INTEGER, sha256 TEXT, metadata TEXT, PRIMARY KEY (directory, filename))',
);
const insert = db.prepare('INSERT INTO files VALUES (?, ?, ?, ?, ?)');
let temps = 0;

async function durablyPublish(directory: string, filename: string, bytes: Buffer): Promise<boolean> {
  const temp = path.join(directory, `.${process.pid}-${temps++}.part`);
  const handle = await fs.open(temp, 'wx');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.link(temp, path.join(directory, filename));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await fs.unlink(temp);
  }
  const dir = await fs.open(directory, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
  return true;
}

const app = express();
app.post('/media', upload.any(), async (req, res) => {
  const files = (req.files ?? []) as Express.Multer.File[];
  const stored = [];
  for (const file of files) {
    const extension = path.extname(file.originalname).toLowerCase();
    const detected = await fileTypeFromBuffer(file.buffer);
    if (`.${detected?.ext}` !== extension) {
      res.status(415).json({ code: 415, reason: 'content is not of its extension' });
      return;
    }
    const { format } = await parseBuffer(file.buffer, { path: `audio${extension}` }, { skipCovers: true });
    const sha256 = createHash('sha256').update(file.buffer).digest('hex');
    const directory = path.join(root, file.fieldname);
    if (!made.has(directory)) {
      await fs.mkdir(directory, { recursive: true });
      made.add(directory);
    }
    if (!(await durablyPublish(directory, file.originalname, file.buffer))) {
      res.status(409).json({ code: 409, reason: 'a file of that name exists' });
      return;
    }
    const metadata = {
      durationSeconds: format.duration,
      bitrate: format.bitrate,
      sampleRate: format.sampleRate,
      channels: format.numberOfChannels,
    };
    insert.run(file.fieldname, file.originalname, file.size, sha256, JSON.stringify(metadata));
    stored.push({ filename: file.originalname, size: file.size, sha256, metadata });
  }
  log.info({ method: req.method, url: req.url, status: 200, files: stored.length }, 'request');
  res.json({ code: 200, reason: 'OK', files: stored });
});

const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.stdout.write(`listening ${address.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
