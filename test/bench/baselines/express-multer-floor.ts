import fs from 'node:fs/promises';
import path from 'node:path';
import express from 'express';
import multer from 'multer';

/**
 * Diagnostic, not a target's baseline: the least an Express 5 + multer 2 upload service does.
 * POST /media parses the multipart body with multer's memory storage and writes each file part
 * to `<root>/<field name>/<filename>` with one writeFile; no validation, content check, hash,
 * metadata, pool, fsync, logging, metrics or security headers. Its uploads/s against the raw
 * node:http baseline shows how much of the small-upload target the framework alone leaves.
 * Usage: express-multer-floor.ts <root>.
 */
const root = process.argv[2]!;
const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: 100 * 1024 * 1024, files: 10, fields: 20 } });
const made = new Set<string>();

const app = express();
app.post('/media', upload.any(), async (req, res) => {
  const files = (req.files ?? []) as Express.Multer.File[];
  for (const file of files) {
    const directory = path.join(root, file.fieldname);
    if (!made.has(directory)) {
      await fs.mkdir(directory, { recursive: true });
      made.add(directory);
    }
    await fs.writeFile(path.join(directory, file.originalname), file.buffer, { flag: 'wx' });
  }
  res.json({ code: 200, reason: 'OK', files: files.map((file) => ({ filename: file.originalname, size: file.size })) });
});

const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.stdout.write(`listening ${address.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
