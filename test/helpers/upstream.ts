import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';

/** What an upstream received, as seen by node:http. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface TestUpstream {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Every request received, in arrival order. */
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** A real node:http server on 127.0.0.1 and a free port, recording every request it receives. */
export async function startUpstream(handler: http.RequestListener): Promise<TestUpstream> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface SendOptions {
  method?: string;
  /** Sent verbatim as the request target: may be absolute-form or hold raw `%2e%2e`. */
  path: string;
  headers?: http.OutgoingHttpHeaders | string[];
  body?: Buffer | string | Readable;
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One request on a fresh connection with node:http, which (unlike fetch) sends the path as given. */
export function send(baseUrl: string, options: SendOptions): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(baseUrl, { method: options.method ?? 'GET', path: options.path, headers: options.headers, agent: false });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    if (options.body instanceof Readable) options.body.pipe(req);
    else req.end(options.body);
  });
}

/** `send` for JSON answers. */
export async function sendJson(baseUrl: string, options: SendOptions): Promise<Answer & { json: unknown }> {
  const answer = await send(baseUrl, options);
  return { ...answer, json: JSON.parse(answer.body.toString('utf8')) };
}

/** Random bytes produced on the fly in 64 KiB chunks; `digest()` is their sha256 once all were read. */
export function randomBody(totalBytes: number): { stream: Readable; digest: () => string } {
  const hash = createHash('sha256');
  let left = totalBytes;
  const stream = new Readable({
    read() {
      if (left === 0) return void this.push(null);
      const chunk = randomBytes(Math.min(64 * 1024, left));
      left -= chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, digest: () => hash.copy().digest('hex') };
}

/** sha256 and length of a stream, read to its end. */
export async function digestOf(stream: NodeJS.ReadableStream): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}
