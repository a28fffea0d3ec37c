import { createWriteStream } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { freeWhenWritten, handOver } from '../../src/storage/staging/spent-buffers.ts';
import { tempRoot } from '../helpers/app.ts';

describe('handed-over chunks', () => {
  it('frees a handed-over chunk once the file has it, and leaves the others alone', async () => {
    const root = await tempRoot();
    const file = path.join(root, 'out');
    const given = handOver(Buffer.alloc(64 * 1024, 1));
    const kept = Buffer.alloc(64 * 1024, 2);
    await pipeline(
      (function* () {
        yield given;
        yield kept;
      })(),
      freeWhenWritten(createWriteStream(file, { highWaterMark: 1024 * 1024 })),
    );
    expect(await readFile(file)).toEqual(Buffer.concat([Buffer.alloc(64 * 1024, 1), Buffer.alloc(64 * 1024, 2)]));
    expect(given.buffer.byteLength).toBe(0);
    expect(kept.equals(Buffer.alloc(64 * 1024, 2))).toBe(true);
    await rm(root, { recursive: true, force: true });
  });
});
