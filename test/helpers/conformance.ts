import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { checkExchange, type Exchange } from './conformance-check.ts';
import { OpenApiDocument } from './openapi.ts';

/** JSON bodies larger than this are not kept (nor checked); no API answer comes near it. */
const MAX_KEPT_BYTES = 1024 * 1024;

type Chunk = string | Uint8Array | null | undefined;

function toBuffer(chunk: Chunk | (() => void), encoding?: unknown): Buffer | undefined {
  if (chunk === null || chunk === undefined || typeof chunk === 'function') return undefined;
  if (typeof chunk === 'string') return Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Header fields of a raw HTTP head (`HTTP/1.1 200 OK\r\nName: value\r\n...`), by lower-case name. */
export function parseHead(head: string): { status: number; headers: Record<string, string | string[]> } {
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string | string[]> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prior = headers[name];
    headers[name] = prior === undefined ? value : [prior, value].flat();
  }
  return { status: Number(/^HTTP\/\d\.\d (\d{3})/.exec(statusLine)?.[1] ?? 0), headers };
}

/**
 * Records every answer an HTTP server gives (plain requests and WebSocket handshakes) and holds
 * it to openapi.yaml, outside the production code: it wraps `res.write`/`res.end` and the
 * upgraded socket's writes to see what goes on the wire. `assertConforms()` throws with every
 * answer that does not conform.
 */
export class ConformanceRecorder {
  readonly violations: string[] = [];
  /** Answers checked so far. */
  checked = 0;

  constructor(private readonly spec = OpenApiDocument.load()) {}

  attach(server: Server): this {
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => this.watchResponse(req, res));
    // Wrapping emit rather than adding an 'upgrade' listener: Node answers upgrades as plain
    // requests when no listener is left (the chat detaches on shutdown), which must not change.
    const emit = server.emit as (this: Server, event: string | symbol, ...args: unknown[]) => boolean;
    const watchHandshake = (req: IncomingMessage, socket: Duplex) => this.watchHandshake(req, socket);
    server.emit = function (this: Server, event: string | symbol, ...args: unknown[]) {
      if (event === 'upgrade') watchHandshake(args[0] as IncomingMessage, args[1] as Duplex);
      return emit.call(this, event, ...args);
    } as Server['emit'];
    return this;
  }

  /** Throws when any recorded answer did not conform. */
  assertConforms(): void {
    if (this.violations.length === 0) return;
    const list = this.violations.map((violation) => `  - ${violation}`).join('\n');
    throw new Error(`${this.violations.length} answer(s) do not conform to openapi.yaml:\n${list}`);
  }

  record(exchange: Exchange): void {
    this.checked += 1;
    let problems: string[];
    try {
      problems = checkExchange(this.spec, exchange);
    } catch (error) {
      // Never into the server's event handlers: a broken check is reported like a violation.
      problems = [`the check itself failed: ${(error as Error).stack ?? String(error)}`];
    }
    for (const problem of problems) this.violations.push(`${exchange.method} ${exchange.target} -> ${exchange.status}: ${problem}`);
  }

  private watchResponse(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? 'GET';
    const target = req.url ?? '/';
    let kept: Buffer[] | undefined;
    let decided = false;
    let size = 0;
    const keep = (chunk: Chunk | (() => void), encoding?: unknown) => {
      const bytes = toBuffer(chunk, encoding);
      if (!bytes) return;
      if (!decided) {
        decided = true;
        kept = /json/i.test(String(res.getHeader('content-type') ?? '')) ? [] : undefined;
      }
      if (!kept) return;
      size += bytes.length;
      if (size > MAX_KEPT_BYTES) kept = undefined;
      else kept.push(Buffer.from(bytes));
    };
    const { write, end } = res;
    res.write = function (this: ServerResponse, chunk: Chunk, ...rest: unknown[]) {
      keep(chunk, rest[0]);
      return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as ServerResponse['write'];
    res.end = function (this: ServerResponse, chunk?: Chunk | (() => void), ...rest: unknown[]) {
      keep(chunk, rest[0]);
      return (end as (...args: unknown[]) => ServerResponse).call(this, chunk, ...rest);
    } as ServerResponse['end'];

    let done = false;
    const finish = (whole: boolean) => {
      if (done) return;
      done = true;
      // No answer at all (the client went away first): nothing to hold to the contract.
      if (!res.headersSent) return;
      const head = (res as unknown as { _header?: unknown })._header;
      const { headers } = typeof head === 'string' ? parseHead(head) : { headers: lowerCased(res.getHeaders()) };
      const json = whole && kept ? Buffer.concat(kept) : undefined;
      this.record({ method, target, upgrade: false, status: res.statusCode, headers, json });
    };
    res.once('finish', () => finish(true));
    // A cut answer (the connection closed before the end): status and headers are still checked.
    res.once('close', () => finish(false));
  }

  private watchHandshake(req: IncomingMessage, socket: Duplex): void {
    const method = req.method ?? 'GET';
    const target = req.url ?? '/';
    let written = Buffer.alloc(0);
    let done = false;
    const take = (chunk: Chunk | (() => void), encoding?: unknown) => {
      const bytes = toBuffer(chunk, encoding);
      if (done || !bytes) return;
      written = Buffer.concat([written, bytes]);
      const headEnd = written.indexOf('\r\n\r\n');
      if (headEnd === -1) return;
      const { status, headers } = parseHead(written.subarray(0, headEnd).toString('latin1'));
      const length = Number(headers['content-length'] ?? 0);
      const body = written.subarray(headEnd + 4);
      if (status !== 101 && body.length < length) return;
      done = true;
      const json = /json/i.test(String(headers['content-type'] ?? '')) ? body.subarray(0, length) : undefined;
      this.record({ method, target, upgrade: true, status, headers, json });
    };
    const { write, end } = socket;
    socket.write = function (this: Duplex, chunk: Chunk, ...rest: unknown[]) {
      take(chunk, rest[0]);
      return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as Duplex['write'];
    socket.end = function (this: Duplex, chunk?: Chunk | (() => void), ...rest: unknown[]) {
      take(chunk, rest[0]);
      return (end as (...args: unknown[]) => Duplex).call(this, chunk, ...rest);
    } as Duplex['end'];
  }
}

function lowerCased(headers: Record<string, unknown>): Record<string, string | string[]> {
  return Object.fromEntries(
    Object.entries(headers)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [name.toLowerCase(), Array.isArray(value) ? value.map(String) : String(value)]),
  );
}
