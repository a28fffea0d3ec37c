import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunningHash } from '../../src/storage/staging/running-hash.ts';
import { tempRoot } from '../helpers/app.ts';
import { sha256 } from '../helpers/media.ts';

const CHUNK = 3 * 1024 * 1024 + 17;
/** What the event loop gets from a socket at a time. */
const READ = 64 * 1024;

// The hash of an upload's bytes, kept in its own thread between runs (resumable chunks) and read
// from each file behind its writer.
describe('the running hash of uploads written in runs', () => {
  const hashes = new RunningHash();
  const bytes = randomBytes(3 * CHUNK);
  let dir: string;

  beforeAll(async () => {
    dir = await tempRoot('running-hash-');
  });

  afterAll(async () => {
    await hashes.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const fileOf = (id: string) => path.join(dir, id);

  /** Writes `content` as the run at `from`, in socket-sized pieces; then says whether it counted (refused bytes are cut off again). */
  async function chunk(id: string, from: number, content: Buffer, verdict: 'counted' | 'refused' = 'counted'): Promise<void> {
    const file = await fs.open(fileOf(id), from === 0 ? 'w' : 'r+');
    await file.truncate(from);
    const hash = hashes.follow(id, fileOf(id), from);
    for (let at = 0; at < content.length; at += READ) await file.write(content, at, Math.min(READ, content.length - at), from + at);
    if (verdict === 'counted') hash.counted(from + content.length);
    else {
      hash.refused();
      await file.truncate(from);
    }
    await file.close();
  }

  async function inChunks(id: string, skip?: number): Promise<void> {
    for (let from = 0; from < bytes.length; from += CHUNK) if (from !== skip) await chunk(id, from, bytes.subarray(from, from + CHUNK));
  }

  const digest = async (id: string, size: number) => (await hashes.digest(id, size))?.sha256;

  it('answers the sha256 of the whole upload once every chunk counted here, in order', async () => {
    await inChunks('in-order');
    expect(await digest('in-order', bytes.length)).toBe(sha256(bytes));
  });

  it('answers no digest when a chunk counted elsewhere, nor for a size it did not reach', async () => {
    await inChunks('gap', CHUNK);
    expect(await digest('gap', bytes.length)).toBeUndefined();
    await inChunks('short');
    expect(await digest('short', bytes.length + 1)).toBeUndefined();
  });

  it('keeps the hash where it was when a chunk is refused, and goes on with the chunk sent again', async () => {
    await chunk('refused', 0, bytes.subarray(0, CHUNK));
    await chunk('refused', CHUNK, randomBytes(CHUNK), 'refused');
    await chunk('refused', CHUNK, bytes.subarray(CHUNK));
    expect(await digest('refused', bytes.length)).toBe(sha256(bytes));
    await chunk('refused-first', 0, randomBytes(CHUNK), 'refused');
    await inChunks('refused-first');
    expect(await digest('refused-first', bytes.length)).toBe(sha256(bytes));
  });

  it('counts the bytes of a chunk cut short, and drops a chunk whose count the file does not hold', async () => {
    const half = Math.floor(CHUNK / 2);
    await chunk('cut', 0, bytes.subarray(0, half));
    await chunk('cut', half, bytes.subarray(half));
    expect(await digest('cut', bytes.length)).toBe(sha256(bytes));
    await fs.writeFile(fileOf('miscounted'), '');
    const hash = hashes.follow('miscounted', fileOf('miscounted'), 0);
    await fs.writeFile(fileOf('miscounted'), bytes);
    hash.counted(bytes.length + 1);
    expect(await digest('miscounted', bytes.length + 1)).toBeUndefined();
  });

  it('starts over when the first chunk counts again', async () => {
    await chunk('again', 0, randomBytes(CHUNK));
    await inChunks('again');
    expect(await digest('again', bytes.length)).toBe(sha256(bytes));
  });

  it('takes a chunk written in one piece larger than its buffers', async () => {
    await chunk('whole', 0, bytes.subarray(0, 2 * CHUNK));
    const hash = hashes.follow('whole', fileOf('whole'), 2 * CHUNK);
    await fs.appendFile(fileOf('whole'), bytes.subarray(2 * CHUNK));
    hash.counted(bytes.length);
    expect(await digest('whole', bytes.length)).toBe(sha256(bytes));
  });

  it('forgets an upload, and answers a digest once only', async () => {
    await inChunks('forgotten');
    hashes.forget('forgotten');
    expect(await digest('forgotten', bytes.length)).toBeUndefined();
    await inChunks('once');
    expect(await digest('once', bytes.length)).toBe(sha256(bytes));
    expect(await digest('once', bytes.length)).toBeUndefined();
  });
});
