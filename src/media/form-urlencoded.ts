import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { AppError } from '../errors.ts';

const PERCENT = 0x25;
const PLUS = 0x2b;
const SPACE = 0x20;
const AMPERSAND = 0x26;
const EQUALS = 0x3d;
/** Decoding yields to the event loop between slices of this many input bytes. */
const SLICE = 256 * 1024;

/**
 * A parsed application/x-www-form-urlencoded body whose values stay bytes until asked for:
 * `bytes()` is binary-safe (every octet as sent), `text()` decodes UTF-8.
 */
export class UrlencodedForm {
  private constructor(private readonly fields: Map<string, Buffer[]>) {}

  /** Splits a raw body into fields; more than `maxFields` fields is code 413. */
  static parse(body: Buffer, maxFields: number): UrlencodedForm {
    const fields = new Map<string, Buffer[]>();
    let count = 0;
    for (let start = 0; start < body.length; ) {
      let end = body.indexOf(AMPERSAND, start);
      if (end === -1) end = body.length;
      if (end > start) {
        if (++count > maxFields) throw new AppError('TOO_LARGE', 'too many fields in one request (media.maxFields)');
        const pair = body.subarray(start, end);
        const equals = pair.indexOf(EQUALS);
        const key = decodeSync(equals === -1 ? pair : pair.subarray(0, equals)).toString('utf8');
        const value = equals === -1 ? Buffer.alloc(0) : pair.subarray(equals + 1);
        fields.set(key, [...(fields.get(key) ?? []), value]);
      }
      start = end + 1;
    }
    return new UrlencodedForm(fields);
  }

  has(name: string): boolean {
    return this.fields.has(name);
  }

  /** The field's text, undefined when absent; a field given twice is code 400. */
  text(name: string): string | undefined {
    const raw = this.single(name);
    return raw === undefined ? undefined : decodeSync(raw).toString('utf8');
  }

  /** The field's exact bytes, decoded in slices so a large body does not stall other requests. */
  async bytes(name: string): Promise<Buffer | undefined> {
    const raw = this.single(name);
    return raw === undefined ? undefined : decode(raw);
  }

  private single(name: string): Buffer | undefined {
    const values = this.fields.get(name);
    if (values && values.length > 1) throw new AppError('INVALID_ARGUMENT', `invalid argument: ${name} given more than once`);
    return values?.[0];
  }
}

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

function isEscape(input: Buffer, at: number): boolean {
  return input[at] === PERCENT && hexValue(input[at + 1]) !== -1 && hexValue(input[at + 2]) !== -1;
}

/** Length after decoding: each valid %XX escape turns three bytes into one; others stay literal. */
function decodedLength(input: Buffer): number {
  let length = input.length;
  for (let at = input.indexOf(PERCENT); at !== -1; at = input.indexOf(PERCENT, at + 1)) {
    if (isEscape(input, at)) {
      length -= 2;
      at += 2;
    }
  }
  return length;
}

/** Decodes input[from, to) into out at `written`; returns the new write offset. */
function decodeRange(input: Buffer, from: number, to: number, out: Buffer, written: number): number {
  for (let at = from; at < to; at++) {
    const byte = input[at]!;
    if (byte === PLUS) {
      out[written++] = SPACE;
    } else if (byte === PERCENT && isEscape(input, at)) {
      out[written++] = (hexValue(input[at + 1]) << 4) | hexValue(input[at + 2]);
      at += 2;
    } else {
      out[written++] = byte;
    }
  }
  return written;
}

function decodeSync(input: Buffer): Buffer {
  const out = Buffer.allocUnsafeSlow(decodedLength(input));
  decodeRange(input, 0, input.length, out, 0);
  return out;
}

async function decode(input: Buffer): Promise<Buffer> {
  if (input.length <= SLICE) return decodeSync(input);
  // allocUnsafeSlow: the result owns its ArrayBuffer, so it can be transferred to a worker.
  const out = Buffer.allocUnsafeSlow(decodedLength(input));
  let written = 0;
  for (let from = 0; from < input.length; ) {
    let to = Math.min(from + SLICE, input.length);
    // Never cut an escape in two.
    while (to < input.length && to - from > 2 && (input[to - 1] === PERCENT || input[to - 2] === PERCENT)) to -= 1;
    written = decodeRange(input, from, to, out, written);
    from = to;
    if (from < input.length) await yieldToEventLoop();
  }
  return out;
}
