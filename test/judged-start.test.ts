import { expect, it } from 'vitest';
import { FIRST_BYTES, judgedStart } from '../src/media/judged-start.ts';

/** An ID3v2.4 header announcing a tag body of `size` bytes (synchsafe), with a footer when asked. */
function id3Header(size: number, footer = false): Buffer {
  const header = Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x00', 'latin1');
  header[5] = footer ? 0x10 : 0;
  for (let i = 0; i < 4; i++) header[9 - i] = (size >> (7 * i)) & 0x7f;
  return header;
}

it('judges the first 64 KiB of a file without an ID3 tag, as a buffer of its own', () => {
  const start = Buffer.alloc(16 * 1024 * 1024, 1);
  const judged = judgedStart(start);
  expect(judged.length).toBe(FIRST_BYTES);
  expect(judged.byteOffset).toBe(0);
  expect(judged.buffer.byteLength).toBe(FIRST_BYTES);
});

it('judges an ID3 tag whole and the 4,100 bytes after it, as far as the bytes held go', () => {
  const tag = 3 * 1024 * 1024;
  const start = Buffer.concat([id3Header(tag, true), Buffer.alloc(16 * 1024 * 1024 - 10, 2)]);
  expect(judgedStart(start).length).toBe(10 + tag + 10 + 4100);
  expect(judgedStart(Buffer.concat([id3Header(100), Buffer.alloc(FIRST_BYTES * 2)])).length).toBe(FIRST_BYTES);
  const short = Buffer.concat([id3Header(tag), Buffer.alloc(1024 * 1024)]);
  expect(judgedStart(short).length).toBe(short.length);
});
