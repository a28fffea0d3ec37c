import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import fastifyMultipart from '@fastify/multipart';
import Fastify from 'fastify';
import { announce, exitOnSigterm, fastifyObservability } from './observe.ts';

/**
 * Peer: fastify 5 + `@fastify/multipart`, each file part streamed to `<root>/<field name>/<filename>`;
 * no content check, hash or fsync. Usage: fastify-multipart-disk.ts <root>.
 */
const root = process.argv[2]!;
const made = new Set<string>();
const app = Fastify({ logger: false });
fastifyObservability(app);
await app.register(fastifyMultipart, { limits: { fileSize: 100 * 1024 * 1024, files: 10, fields: 20, parts: 30 } });
app.post('/media', async (request) => {
  const files: { filename: string; size: number }[] = [];
  for await (const part of request.files()) {
    const directory = path.join(root, part.fieldname);
    if (!made.has(directory)) {
      mkdirSync(directory, { recursive: true });
      made.add(directory);
    }
    const out = createWriteStream(path.join(directory, part.filename));
    await pipeline(part.file, out);
    files.push({ filename: part.filename, size: out.bytesWritten });
  }
  return { code: 200, reason: 'OK', files };
});
await app.listen({ host: '127.0.0.1', port: 0 });
announce(app.server);
exitOnSigterm(() => app.close());
