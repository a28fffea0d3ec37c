import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import proxyaddr from 'proxy-addr';
import type { ChatConfig } from './config.ts';

type OriginPolicy = Pick<ChatConfig, 'allowedOrigins' | 'allowMissingOrigin'>;

/** Which peers' X-Forwarded-* fields are believed; `server.trustProxy`, read as Express reads `trust proxy`. */
export type TrustProxy = (address: string, hop: number) => boolean;

export function compileTrust(value: boolean | number | string): TrustProxy {
  if (value === true) return () => true;
  if (typeof value === 'number') return (_address, hop) => hop < value;
  if (value === false) return () => false;
  return proxyaddr.compile(value.split(',').map((entry) => entry.trim()));
}

/**
 * Browsers always send Origin on a WebSocket handshake (RFC 6455 section 4.1, item 8; section 10.2),
 * so checking it stops other sites' pages from joining with the visitor's network position.
 * Non-browser clients may send none and could forge any, so a missing Origin is a policy choice.
 */
export function isOriginAllowed(req: IncomingMessage, policy: OriginPolicy, trust: TrustProxy): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return policy.allowMissingOrigin;
  if (policy.allowedOrigins.includes(origin.toLowerCase())) return true;
  return isSameOrigin(origin, serviceScheme(req, trust), req.headers.host);
}

/**
 * Same origin = same scheme, host and port (RFC 6454 section 5). A browser sends the origin
 * serialized (section 6.1: no userinfo, no path, lower case, default port omitted), so anything
 * that does not round-trip through that serialization unchanged is refused.
 */
function isSameOrigin(origin: string, scheme: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    const page = new URL(origin);
    if (page.origin !== origin) return false;
    return new URL(`${scheme}//${host}`).origin === page.origin;
  } catch {
    // "null" (sandboxed frames, file: pages) and malformed values are not an origin we serve.
    return false;
  }
}

/** `http:` or `https:` as the browser reached us: the socket's, or a trusted proxy's X-Forwarded-Proto. */
function serviceScheme(req: IncomingMessage, trust: TrustProxy): string {
  const own = (req.socket as Partial<TLSSocket>).encrypted ? 'https:' : 'http:';
  const forwarded = req.headers['x-forwarded-proto'];
  if (typeof forwarded !== 'string' || !trust(req.socket.remoteAddress ?? '', 0)) return own;
  const first = forwarded.split(',')[0]!.trim().toLowerCase();
  return first === 'https' || first === 'http' ? `${first}:` : own;
}

/** Answers a refused upgrade with a plain HTTP response and closes the socket. */
export function rejectHandshake(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * The client's IP address: the peer's, or behind trusted proxies the X-Forwarded-For entry they vouch
 * for (as Express's `req.ip`). IPv4 clients of a dual-stack socket appear without the `::ffff:` prefix.
 */
export function clientAddress(req: IncomingMessage, trust: TrustProxy = () => false): string {
  const address = req.socket.remoteAddress === undefined ? 'unknown' : proxyaddr(req, trust);
  return address.replace(/^::ffff:/, '');
}
