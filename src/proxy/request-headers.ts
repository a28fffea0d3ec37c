import type { Request } from 'express';
import { hopByHop } from './hop-by-hop.ts';

/** Our entry in Via, which a proxy MUST add to each message it forwards (RFC 9110 §7.6.3). */
export const VIA_PSEUDONYM = 'media-service';

const NOT_FORWARDED = new Set([
  // undici sends the upstream's own Host (RFC 9110 §7.2: the authority of the target URI).
  'host',
  // Node has already answered `100 Continue` to the client; undici refuses to send Expect itself.
  'expect',
  // Replaced with what this hop knows; the client's claims about them are not passed on.
  'x-forwarded-proto',
  'x-forwarded-host',
]);

/**
 * The client's header fields as the upstream should see them, as a flat `[name, value, ...]` list
 * in their original order and spelling: hop-by-hop fields dropped, X-Forwarded-* and Via added.
 */
export function upstreamRequestHeaders(req: Request): string[] {
  const isHopByHop = hopByHop(req.headers.connection);

  const headers: string[] = [];
  const priorForwardedFor: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (lower === 'x-forwarded-for') priorForwardedFor.push(raw[i + 1]!);
    else if (!isHopByHop(lower) && !NOT_FORWARDED.has(lower)) headers.push(name, raw[i + 1]!);
  }
  return [...headers, ...forwardedHeaders(req, priorForwardedFor)];
}

/**
 * X-Forwarded-For keeps the client's list and appends the peer address (as nginx's
 * `$proxy_add_x_forwarded_for` does): an upstream should trust only the entries added by proxies it knows.
 * Proto and Host follow Express's `trust proxy` setting, so they are right behind another proxy too.
 */
function forwardedHeaders(req: Request, priorForwardedFor: string[]): string[] {
  const peer = req.socket.remoteAddress ?? 'unknown';
  const headers = ['x-forwarded-for', [...priorForwardedFor, peer].join(', '), 'x-forwarded-proto', req.protocol];
  const host = req.get('host');
  if (host) headers.push('x-forwarded-host', host);
  headers.push('via', `${req.httpVersion} ${VIA_PSEUDONYM}`);
  return headers;
}
