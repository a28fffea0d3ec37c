const PERCENT = 0x25;
const PLUS = 0x2b;
const SPACE = 0x20;

/** Hex digit value of each byte, -1 for bytes that are not hex digits. */
const HEX = new Int8Array(256).fill(-1);
for (let digit = 0; digit < 10; digit++) HEX[0x30 + digit] = digit;
for (let digit = 0; digit < 6; digit++) {
  HEX[0x41 + digit] = 10 + digit;
  HEX[0x61 + digit] = 10 + digit;
}

/**
 * Decodes input[from, to) into `out` from `written` on; returns the new length written. A valid
 * %XX escape becomes one byte and `+` a space; anything else, a lone `%` included, stays as it is.
 * One pass with a lookup table (the former two-pass decoder was the top cost on the event loop in
 * the 64 KiB urlencoded benchmark). Escapes may look ahead past `to` but never start at or after
 * it. `out` may be `input` when `written <= from`: each byte is read before its place is written.
 */
function decodeInto(input: Buffer, from: number, to: number, out: Buffer, written: number): number {
  const end = input.length;
  for (let at = from; at < to; at++) {
    const byte = input[at]!;
    if (byte === PERCENT && at + 2 < end) {
      const high = HEX[input[at + 1]!]!;
      const low = HEX[input[at + 2]!]!;
      if ((high | low) >= 0) {
        out[written++] = (high << 4) | low;
        at += 2;
        continue;
      }
    }
    out[written++] = byte === PLUS ? SPACE : byte;
  }
  return written;
}

/** Decodes input[0, to) into a new Buffer. */
function decodeUpTo(input: Buffer, to: number): Buffer {
  // Decoding never lengthens: the input's length is enough room.
  const out = Buffer.allocUnsafe(to);
  return out.subarray(0, decodeInto(input, 0, to, out, 0));
}

/**
 * Where to stop decoding input[from, ...): before a '%' in the last two bytes, which may start an
 * escape the next piece completes. No escape starting earlier can reach past that '%', as '%' is
 * not a hex digit.
 */
function cutEscape(input: Buffer, from: number): number {
  const length = input.length;
  if (length - 1 >= from && input[length - 1] === PERCENT) return length - 1;
  if (length - 2 >= from && input[length - 2] === PERCENT) return length - 2;
  return length;
}

/** Decodes one whole value. */
export function percentDecode(input: Buffer): Buffer {
  return decodeUpTo(input, input.length);
}

/**
 * Decodes one value that arrives in pieces, each piece as it comes (so the work per call is
 * bounded by the piece). An escape cut by a piece's end is held back until the next piece
 * completes it; `end()` gives what is still held, decoded as the end of the value.
 */
export class PercentDecoder {
  private held: Buffer | undefined;

  write(piece: Buffer): Buffer {
    const input = this.held ? Buffer.concat([this.held, piece]) : piece;
    const stop = cutEscape(input, 0);
    this.held = stop < input.length ? Buffer.from(input.subarray(stop)) : undefined;
    return decodeUpTo(input, stop);
  }

  /**
   * As `write`, but decodes into `piece` itself and returns the start of it: no buffer per piece.
   * Each allocation here is as large as the piece read and lives only until it is written, so a
   * large upload made as much short-lived off-heap memory again as its request: the collector
   * gives that back late, and the peak RSS of the process grew with it.
   */
  writeInPlace(piece: Buffer): Buffer {
    let from = 0;
    let written = 0;
    if (this.held) {
      // Complete the escape cut at the previous piece's end; the rare rest goes the copying way.
      const need = 3 - this.held.length;
      if (piece.length < need) return this.write(piece);
      const escape = Buffer.concat([this.held, piece.subarray(0, need)]);
      const high = HEX[escape[1]!]!;
      const low = HEX[escape[2]!]!;
      if ((high | low) < 0) return this.write(piece);
      piece[0] = (high << 4) | low;
      written = 1;
      from = need;
      this.held = undefined;
    }
    const stop = cutEscape(piece, from);
    this.held = stop < piece.length ? Buffer.from(piece.subarray(stop)) : undefined;
    return piece.subarray(0, decodeInto(piece, from, stop, piece, written));
  }

  end(): Buffer {
    const rest = this.held;
    this.held = undefined;
    return rest ? percentDecode(rest) : Buffer.alloc(0);
  }
}
