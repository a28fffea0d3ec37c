import { describe, expect, it } from 'vitest';
import { UrlencodedScanner } from '../src/media/urlencoded-scanner.ts';

interface Scanned {
  fields: [string, string][];
  body?: Buffer;
}

/**
 * Feeds `pieces` to a scanner that streams `body` and holds the other fields; `owned` gives it
 * copies of the pieces to decode in place.
 */
function scan(pieces: Buffer[], limits = { maxFields: 20, maxNameBytes: 1024, maxValueBytes: 8192 }, owned = false): Scanned {
  const out: Scanned = { fields: [] };
  const bodyChunks: Buffer[] = [];
  const scanner = new UrlencodedScanner('body', limits, {
    field: (name, value) => out.fields.push([name, value.toString('latin1')]),
    streamStart: () => bodyChunks.splice(0),
    streamData: (bytes) => bodyChunks.push(bytes),
    streamEnd: () => (out.body = Buffer.concat(bodyChunks)),
  });
  for (const piece of pieces) scanner.write(owned ? Buffer.from(piece) : piece, owned);
  scanner.end();
  return out;
}

function splitAt(whole: Buffer, ...cuts: number[]): Buffer[] {
  const bounds = [0, ...cuts, whole.length];
  return bounds.slice(1).map((end, i) => whole.subarray(bounds[i], end));
}

// Valid, malformed and truncated escapes, '+', raw high bytes and an escape right at the end.
const TRICKY = Buffer.concat([
  Buffer.from('di%72ectory=a%2Fb+c&body=%41%4+%%41%zz+x%'),
  Buffer.from([0xff, 0x00, 0x25]),
  Buffer.from('%E6%AD%8C%&&filename=f%E6%AD%8C.mp3&flag&body2=%4'),
]);
const EXPECTED: Scanned = {
  fields: [
    ['directory', 'a/b c'],
    ['filename', Buffer.from('f歌.mp3').toString('latin1')],
    ['flag', ''],
    ['body2', '%4'],
  ],
  body: Buffer.concat([Buffer.from('A%4 %A%zz x%'), Buffer.from([0xff, 0x00, 0x25]), Buffer.from('歌%')]),
};

describe('the streaming urlencoded scanner', () => {
  it('decodes a whole body as the former whole-body parser did', () => {
    expect(scan([TRICKY])).toEqual(EXPECTED);
  });

  it('gives the same bytes whatever the chunk boundaries (every split into two and three pieces)', () => {
    for (let first = 0; first <= TRICKY.length; first++) {
      expect(scan(splitAt(TRICKY, first)), `cut at ${first}`).toEqual(EXPECTED);
      for (let second = first; second <= TRICKY.length; second += 3) {
        expect(scan(splitAt(TRICKY, first, second)), `cuts at ${first}, ${second}`).toEqual(EXPECTED);
      }
    }
  });

  it('gives the same bytes when it decodes the pieces in place, whatever the chunk boundaries', () => {
    const limits = { maxFields: 20, maxNameBytes: 1024, maxValueBytes: 8192 };
    expect(scan([TRICKY], limits, true)).toEqual(EXPECTED);
    for (let first = 0; first <= TRICKY.length; first++) {
      expect(scan(splitAt(TRICKY, first), limits, true), `cut at ${first}`).toEqual(EXPECTED);
      for (let second = first; second <= TRICKY.length; second++) {
        expect(scan(splitAt(TRICKY, first, second), limits, true), `cuts at ${first}, ${second}`).toEqual(EXPECTED);
      }
    }
    expect(
      scan(
        [...TRICKY].map((byte) => Buffer.from([byte])),
        limits,
        true,
      ),
    ).toEqual(EXPECTED);
  });

  it('decodes a body fed one byte at a time', () => {
    const pieces = [...TRICKY].map((byte) => Buffer.from([byte]));
    expect(scan(pieces)).toEqual(EXPECTED);
  });

  it('refuses a field value over its limit with code 413 before reading it whole', () => {
    const scanner = new UrlencodedScanner(
      'body',
      { maxFields: 20, maxNameBytes: 1024, maxValueBytes: 8192 },
      {
        field: () => {},
        streamStart: () => {},
        streamData: () => {},
        streamEnd: () => {},
      },
    );
    scanner.write(Buffer.from('directory='));
    scanner.write(Buffer.alloc(8192, 0x61));
    expect(() => scanner.write(Buffer.from('a'))).toThrow(
      expect.objectContaining({ code: 413, message: expect.stringMatching(/directory/) }),
    );
  });

  it('refuses a field name over its limit and too many fields with code 413', () => {
    expect(() => scan([Buffer.from(`${'n'.repeat(1025)}=1`)])).toThrow(expect.objectContaining({ code: 413 }));
    expect(() => scan([Buffer.from('a=1&b=2&c=3')], { maxFields: 2, maxNameBytes: 1024, maxValueBytes: 8192 })).toThrow(
      expect.objectContaining({ code: 413, message: expect.stringMatching(/media\.maxFields/) }),
    );
  });
});
