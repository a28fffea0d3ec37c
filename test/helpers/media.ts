import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

const fixturesDir = new URL('../fixtures/', import.meta.url);

/** A real audio file from test/fixtures. */
export function fixture(name: 'tone.mp3' | 'tone.wav' | 'tone-id3.mp3'): Buffer {
  return readFileSync(new URL(name, fixturesDir));
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Bytes of the files below `dir` now (0 when it is absent), subdirectories included. */
export async function bytesUnder(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const files = entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
  const sizes = await Promise.all(
    files.map((file) =>
      stat(file).then(
        (found) => found.size,
        () => 0,
      ),
    ),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

/**
 * Every file the API can name below a local `root` (relative paths), for tests of the local
 * backend's disk. Names starting with '.' are the store's own (staging, index) and never looked
 * at. Tests that run on every backend use helpers/stored.ts instead.
 */
export async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
    .filter((file) => !file.split(path.sep).some((segment) => segment.startsWith('.')))
    .sort();
}

/** Percent-encodes every byte, as the most defensive urlencoded client would. */
export function percentEncodeAll(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += `%${byte.toString(16).padStart(2, '0').toUpperCase()}`;
  return out;
}

/** A urlencoded body whose `body` field carries `bytes` exactly. */
export function urlencodedUpload(fields: { directory?: string; filename?: string; body?: Uint8Array }): string {
  const pairs: string[] = [];
  if (fields.directory !== undefined) pairs.push(`directory=${encodeURIComponent(fields.directory)}`);
  if (fields.filename !== undefined) pairs.push(`filename=${encodeURIComponent(fields.filename)}`);
  if (fields.body !== undefined) pairs.push(`body=${percentEncodeAll(fields.body)}`);
  return pairs.join('&');
}

export interface RawPart {
  /** Written into the Content-Disposition header as is (no escaping): tests control every byte. */
  name?: string;
  filename?: string;
  contentType?: string;
  body: Uint8Array | string;
}

/** A hand-built multipart/form-data body, so tests can send what form libraries would refuse to. */
export function multipartBody(parts: RawPart[], boundary = `----test${randomBytes(8).toString('hex')}`) {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let disposition = 'form-data';
    if (part.name !== undefined) disposition += `; name="${part.name}"`;
    if (part.filename !== undefined) disposition += `; filename="${part.filename}"`;
    let head = `--${boundary}\r\nContent-Disposition: ${disposition}\r\n`;
    if (part.contentType) head += `Content-Type: ${part.contentType}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`, 'utf8'), Buffer.from(part.body), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** A valid MP3 (the fixture) made unique by trailing bytes, so concurrent uploads differ. */
export function uniqueMp3(tag: string): Buffer {
  return Buffer.concat([fixture('tone.mp3'), Buffer.from(`\n${tag}\n`)]);
}
