import { createHash } from 'node:crypto';
import http from 'node:http';

const HEX_DIGITS = Buffer.from('0123456789ABCDEF');

/** `%XX` for every byte, built straight into a Buffer (3 bytes out per byte in). */
export function percentEncodeBuffer(bytes: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(bytes.length * 3);
  for (let i = 0; i < bytes.length; i++) {
    out[i * 3] = 0x25;
    out[i * 3 + 1] = HEX_DIGITS[bytes[i]! >> 4]!;
    out[i * 3 + 2] = HEX_DIGITS[bytes[i]! & 15]!;
  }
  return out;
}

/**
 * A file of `size` pseudo-random bytes, made chunk by chunk and never held whole: `encoded()`
 * yields its percent-encoding; `sha256()` is the digest of the bytes once they were all yielded.
 */
export function generatedFile(size: number, chunkSize = 256 * 1024) {
  const hash = createHash('sha256');
  let seed = 0x9e3779b9;
  let digest: string | undefined;
  return {
    *encoded(): Generator<Buffer> {
      for (let done = 0; done < size; done += chunkSize) {
        const chunk = Buffer.allocUnsafe(Math.min(chunkSize, size - done));
        for (let i = 0; i < chunk.length; i++) {
          seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
          chunk[i] = seed >>> 24;
        }
        hash.update(chunk);
        yield percentEncodeBuffer(chunk);
      }
    },
    sha256: () => (digest ??= hash.digest('hex')),
  };
}

export interface Answer {
  status: number;
  body: { code: number; reason: string; files?: { sha256?: string; size?: number; code: number }[] };
}

/**
 * POSTs a urlencoded body written piece by piece (chunked, flow-controlled), so it is never
 * held whole; `pauseMs` waits between pieces so each tends to reach the server as its own read.
 */
export async function postPieces(url: string, pieces: Iterable<Buffer>, pauseMs = 0): Promise<Answer> {
  const req = http.request(`${url}/media`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  const answered = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  let finished = false;
  const settled = answered
    .then(
      () => {},
      () => {},
    )
    .finally(() => (finished = true));
  for (const piece of pieces) {
    // The server may answer (an error) before the body is sent: stop writing then.
    if (finished) break;
    if (!req.write(piece)) await Promise.race([new Promise((resolve) => req.once('drain', resolve)), settled]);
    if (pauseMs) await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  req.end();
  return answered;
}
