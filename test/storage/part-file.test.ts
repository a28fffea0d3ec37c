import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartFile } from '../../src/storage/s3/part-file.ts';
import { tempRoot } from '../helpers/app.ts';
import { sha256 } from '../helpers/media.ts';

const MiB = 1024 * 1024;

/** A loopback receiver that reads each body slowly (a pause every 256 KiB) and answers its sha256 and length. */
function slowReceiver(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const hash = createHash('sha256');
    let length = 0;
    let sincePause = 0;
    req.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      length += chunk.length;
      sincePause += chunk.length;
      if (sincePause >= 256 * 1024) {
        sincePause = 0;
        req.pause();
        setTimeout(() => req.resume(), 5);
      }
    });
    req.on('end', () => res.end(JSON.stringify({ sha256: hash.digest('hex'), length })));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Pipes `body` into a POST to `server`, as the AWS SDK sends a part: what the receiver got. */
function postThrough(server: http.Server, body: NodeJS.ReadableStream, length: number): Promise<{ sha256: string; length: number }> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', headers: { 'content-length': length } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve(JSON.parse(text) as { sha256: string; length: number }));
    });
    req.on('error', reject);
    body.pipe(req);
  });
}

describe('a part file is sent from its few reused read buffers without mixing up its bytes', () => {
  let root: string;
  let server: http.Server;

  beforeAll(async () => {
    root = await tempRoot('part-file-');
    server = await slowReceiver();
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await fs.rm(root, { recursive: true, force: true });
  });

  it('delivers every byte, in order, through a socket that pushes back; and again from the first byte', async () => {
    // Odd-sized chunks and a size past a whole number of read buffers: reads end mid-buffer.
    const bytes = randomBytes(9 * MiB + 12_345);
    const part = await PartFile.create(root);
    try {
      for (let offset = 0; offset < bytes.length; offset += 70_001) await part.write(bytes.subarray(offset, offset + 70_001));
      await part.flush();
      expect(part.size).toBe(bytes.length);
      for (let attempt = 1; attempt <= 2; attempt++) {
        const received = await postThrough(server, part.reader(), part.size);
        expect(received).toEqual({ sha256: sha256(bytes), length: bytes.length });
      }
    } finally {
      await part.remove();
    }
    expect(await fs.readdir(root)).toEqual([]);
  });

  it('a read that fails (the file closed under it) is an error event of the stream, not a throw', async () => {
    const part = await PartFile.create(root);
    await part.write(randomBytes(1000));
    await part.flush();
    await part.remove();
    const reader = part.reader();
    const failed = new Promise<Error>((resolve) => reader.once('error', resolve));
    reader.resume();
    expect((await failed).message).toMatch(/closed|EBADF/i);
  });

  it('reads an empty part as no bytes', async () => {
    const part = await PartFile.create(root);
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of part.reader()) chunks.push(chunk as Buffer);
      expect(chunks).toEqual([]);
    } finally {
      await part.remove();
    }
  });
});
