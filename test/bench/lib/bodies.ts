import { readFileSync } from 'node:fs';

/** A real MP3 (frames with an Info header), so the service's content check passes. */
const TONE = readFileSync(new URL('../../fixtures/tone.mp3', import.meta.url));

export const BOUNDARY = 'media-bench-7d1f3a9c';
export const MULTIPART_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;
export const URLENCODED_TYPE = 'application/x-www-form-urlencoded';

/** `size` bytes of MP3: tone.mp3 repeated, so the file starts with a real frame header. */
export function mp3Bytes(size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let at = 0; at < size; at += TONE.length) TONE.copy(out, at, 0, Math.min(TONE.length, size - at));
  return out;
}

/** The bytes before and after a file part's content; its directory is the part's field name, or a `directory` field before it. */
export function multipartFrame(directory: string, filename: string, directoryField = false): { head: Buffer; tail: Buffer } {
  const field = directoryField ? `--${BOUNDARY}\r\nContent-Disposition: form-data; name="directory"\r\n\r\n${directory}\r\n` : '';
  const head =
    field +
    `--${BOUNDARY}\r\n` +
    `Content-Disposition: form-data; name="${directory}"; filename="${filename}"\r\n` +
    'Content-Type: audio/mpeg\r\n\r\n';
  return { head: Buffer.from(head, 'utf8'), tail: Buffer.from(`\r\n--${BOUNDARY}--\r\n`, 'utf8') };
}

export function multipartBody(directory: string, filename: string, content: Buffer): Buffer {
  const { head, tail } = multipartFrame(directory, filename);
  return Buffer.concat([head, content, tail]);
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Percent-encodes every byte but the unreserved ones (RFC 3986 2.3), as a browser form would. */
export function percentEncode(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(bytes.length * 3);
  let written = 0;
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    if (UNRESERVED.test(char)) {
      out[written++] = byte;
    } else {
      written += out.write(`%${byte.toString(16).toUpperCase().padStart(2, '0')}`, written, 'latin1');
    }
  }
  return out.subarray(0, written);
}

/** A urlencoded upload whose `body` field is already percent-encoded (encode once, reuse). */
export function urlencodedBody(directory: string, filename: string, encodedContent: Buffer): Buffer {
  const fields = `directory=${encodeURIComponent(directory)}&filename=${encodeURIComponent(filename)}&body=`;
  return Buffer.concat([Buffer.from(fields, 'utf8'), encodedContent]);
}
