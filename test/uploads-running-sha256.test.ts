import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { RunningSha256 } from '../src/uploads/local/running-sha256.ts';
import { sha256 } from './helpers/media.ts';

const CHUNK = 3 * 1024 * 1024 + 17;
/** What the event loop gets from a socket at a time. */
const READ = 64 * 1024;

// The hash of a resumable upload, kept in its own thread between chunks and fed as they arrive.
describe('the running sha256 of resumable uploads', () => {
  const hashes = new RunningSha256();
  const bytes = randomBytes(3 * CHUNK);

  afterAll(() => hashes.close());

  /** Feeds `content` as the chunk at `from`, in socket-sized pieces; then says whether it counted. */
  async function chunk(id: string, from: number, content: Buffer, verdict: 'counted' | 'refused' = 'counted'): Promise<void> {
    const hash = hashes.follow(id, from);
    for (let at = 0; at < content.length; at += READ) await hash.update(content.subarray(at, at + READ));
    if (verdict === 'counted') hash.counted(from + content.length);
    else hash.refused();
  }

  async function inChunks(id: string, skip?: number): Promise<void> {
    for (let from = 0; from < bytes.length; from += CHUNK) if (from !== skip) await chunk(id, from, bytes.subarray(from, from + CHUNK));
  }

  it('answers the sha256 of the whole upload once every chunk counted here, in order', async () => {
    await inChunks('in-order');
    expect(await hashes.digest('in-order', bytes.length)).toBe(sha256(bytes));
  });

  it('answers no digest when a chunk counted elsewhere, nor for a size it did not reach', async () => {
    await inChunks('gap', CHUNK);
    expect(await hashes.digest('gap', bytes.length)).toBeUndefined();
    await inChunks('short');
    expect(await hashes.digest('short', bytes.length + 1)).toBeUndefined();
  });

  it('keeps the hash where it was when a chunk is refused, and goes on with the chunk sent again', async () => {
    await chunk('refused', 0, bytes.subarray(0, CHUNK));
    await chunk('refused', CHUNK, randomBytes(CHUNK), 'refused');
    await chunk('refused', CHUNK, bytes.subarray(CHUNK));
    expect(await hashes.digest('refused', bytes.length)).toBe(sha256(bytes));
    await chunk('refused-first', 0, randomBytes(CHUNK), 'refused');
    await inChunks('refused-first');
    expect(await hashes.digest('refused-first', bytes.length)).toBe(sha256(bytes));
  });

  it('counts the bytes of a chunk cut short, and drops a chunk whose count is not what it was fed', async () => {
    const half = Math.floor(CHUNK / 2);
    await chunk('cut', 0, bytes.subarray(0, half));
    await chunk('cut', half, bytes.subarray(half));
    expect(await hashes.digest('cut', bytes.length)).toBe(sha256(bytes));
    const hash = hashes.follow('miscounted', 0);
    await hash.update(bytes);
    hash.counted(bytes.length - 1);
    expect(await hashes.digest('miscounted', bytes.length - 1)).toBeUndefined();
  });

  it('starts over when the first chunk counts again', async () => {
    await chunk('again', 0, randomBytes(CHUNK));
    await inChunks('again');
    expect(await hashes.digest('again', bytes.length)).toBe(sha256(bytes));
  });

  it('takes a chunk fed in one piece larger than its buffers', async () => {
    await chunk('whole', 0, bytes.subarray(0, 2 * CHUNK));
    const hash = hashes.follow('whole', 2 * CHUNK);
    await hash.update(bytes.subarray(2 * CHUNK));
    hash.counted(bytes.length);
    expect(await hashes.digest('whole', bytes.length)).toBe(sha256(bytes));
  });

  it('forgets an upload, and answers a digest once only', async () => {
    await inChunks('forgotten');
    hashes.forget('forgotten');
    expect(await hashes.digest('forgotten', bytes.length)).toBeUndefined();
    await inChunks('once');
    expect(await hashes.digest('once', bytes.length)).toBe(sha256(bytes));
    expect(await hashes.digest('once', bytes.length)).toBeUndefined();
  });
});
