import { once } from 'node:events';
import http from 'node:http';

export interface FormAnswer {
  status: number;
  body: { code: number; reason: string; files?: Record<string, unknown>[] };
}

export interface SendFormOptions {
  /** No Content-Length (a chunked body), as a client that does not know the length sends. */
  chunked?: boolean;
  /** Awaited after each write with the bytes sent so far: the sender pauses while it runs. */
  onProgress?: (sent: number, total: number) => Promise<void> | void;
  /** Cut the connection once this many bytes are sent (after onProgress): the answer is then undefined. */
  abortAt?: number;
}

/** Writes of this size: small enough to sample the service often during an upload. */
const WRITE_BYTES = 256 * 1024;

/** POST /media of a whole form over real HTTP, written piece by piece. */
export function sendForm(
  url: string,
  form: { body: Buffer; contentType: string },
  { chunked = false, onProgress, abortAt }: SendFormOptions = {},
): Promise<FormAnswer | undefined> {
  const headers: Record<string, string> = { 'content-type': form.contentType };
  if (!chunked) headers['content-length'] = String(form.body.length);
  return new Promise((resolve, reject) => {
    let cut = false;
    const req = http.request(`${url}/media`, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as FormAnswer['body'] }),
      );
      res.on('error', reject);
    });
    req.on('error', (error) => (cut ? resolve(undefined) : reject(error)));
    const total = form.body.length;
    void (async () => {
      for (let sent = 0; sent < total;) {
        const piece = form.body.subarray(sent, sent + WRITE_BYTES);
        if (!req.write(piece)) await once(req, 'drain');
        sent += piece.length;
        await onProgress?.(sent, total);
        if (abortAt !== undefined && sent >= abortAt) {
          cut = true;
          req.destroy();
          return resolve(undefined);
        }
      }
      req.end();
    })().catch(reject);
  });
}
