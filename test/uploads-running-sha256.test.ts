import { randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunningSha256 } from '../src/uploads/running-sha256.ts';
import { sha256 } from './helpers/media.ts';

const CHUNK = 3 * 1024 * 1024 + 17;

// The hash of a resumable upload, kept in its own thread between chunks, against real files.
describe('the running sha256 of resumable uploads', () => {
  const hashes = new RunningSha256();
  let scratch: string;
  const bytes = randomBytes(3 * CHUNK);

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'running-sha256-'));
  });

  afterAll(async () => {
    await hashes.close();
    await rm(scratch, { recursive: true, force: true });
  });

  /** Writes the upload's file chunk by chunk, telling `hashes` of each chunk as it counts. */
  async function uploadInChunks(id: string, skip?: number): Promise<string> {
    const file = path.join(scratch, `${id}.bin`);
    await writeFile(file, '');
    for (let from = 0; from < bytes.length; from += CHUNK) {
      await appendFile(file, bytes.subarray(from, from + CHUNK));
      if (from !== skip) hashes.extend(id, file, from, Math.min(from + CHUNK, bytes.length));
    }
    return file;
  }

  it('answers the sha256 of the whole file once every chunk counted here, in order', async () => {
    await uploadInChunks('in-order');
    expect(await hashes.digest('in-order', bytes.length)).toBe(sha256(bytes));
  });

  it('answers no digest when a chunk counted elsewhere, nor for a size it did not reach', async () => {
    await uploadInChunks('gap', CHUNK);
    expect(await hashes.digest('gap', bytes.length)).toBeUndefined();
    await uploadInChunks('short');
    expect(await hashes.digest('short', bytes.length + 1)).toBeUndefined();
  });

  it('starts over when the first chunk counts again', async () => {
    const file = await uploadInChunks('again', CHUNK);
    hashes.extend('again', file, 0, CHUNK);
    hashes.extend('again', file, CHUNK, 2 * CHUNK);
    hashes.extend('again', file, 2 * CHUNK, bytes.length);
    expect(await hashes.digest('again', bytes.length)).toBe(sha256(bytes));
  });

  it('forgets an upload, and answers a digest once only', async () => {
    await uploadInChunks('forgotten');
    hashes.forget('forgotten');
    expect(await hashes.digest('forgotten', bytes.length)).toBeUndefined();
    await uploadInChunks('once');
    expect(await hashes.digest('once', bytes.length)).toBe(sha256(bytes));
    expect(await hashes.digest('once', bytes.length)).toBeUndefined();
  });

  it('loses only the digest when the file is gone before its chunk was hashed', async () => {
    hashes.extend('gone', path.join(scratch, 'missing.bin'), 0, CHUNK);
    expect(await hashes.digest('gone', CHUNK)).toBeUndefined();
    await uploadInChunks('after');
    expect(await hashes.digest('after', bytes.length)).toBe(sha256(bytes));
  });
});
