import { STATUS_CODES, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ChatConfig } from './config.ts';

type OriginPolicy = Pick<ChatConfig, 'allowedOrigins' | 'allowMissingOrigin'>;

/**
 * Browsers always send Origin on a WebSocket handshake (RFC 6455 section 4.1, item 8; section 10.2),
 * so checking it stops other sites' pages from joining with the visitor's network position.
 * Non-browser clients may send none and could forge any, so a missing Origin is a policy choice.
 */
export function isOriginAllowed(headers: IncomingHttpHeaders, policy: OriginPolicy): boolean {
  const origin = headers.origin;
  if (origin === undefined) return policy.allowMissingOrigin;
  if (policy.allowedOrigins.includes(origin.toLowerCase())) return true;
  return isSameOrigin(origin, headers.host);
}

/** The page's origin names the host the browser connected to (default ports compared as such). */
function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    const page = new URL(origin);
    if (page.protocol !== 'http:' && page.protocol !== 'https:') return false;
    return new URL(`${page.protocol}//${host}`).host === page.host;
  } catch {
    // "null" (sandboxed frames, file: pages) and malformed values are not an origin we serve.
    return false;
  }
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

/** The peer's IP address; IPv4 clients of a dual-stack socket appear without the `::ffff:` prefix. */
export function clientAddress(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
}
