import type { IncomingHttpHeaders } from 'node:http';
import type { Request } from 'express';

/** Directives of a Cache-Control field, lower-cased, with their values (`max-age` -> `"60"`). */
function cacheControl(value: string | string[] | undefined): Map<string, string> {
  const directives = new Map<string, string>();
  for (const part of [value ?? []].flat().join(',').split(',')) {
    const [name, argument = ''] = part.split('=', 2);
    const directive = name!.trim().toLowerCase();
    if (directive) directives.set(directive, argument.trim().replace(/^"|"$/g, ''));
  }
  return directives;
}

/** Request fields whose answer may be a 206 or 304 the upstream should decide on; such requests bypass the cache. */
const RANGE_AND_CONDITIONAL = ['range', 'if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range'];

/**
 * Whether the request says who is asking: RFC 9111 §3.5, a shared cache must not reuse answers
 * for requests with Authorization; a Cookie identifies a user just as well (the upstream may
 * answer per session without saying `Vary: Cookie`), so such requests bypass the cache both ways.
 */
function isPersonal(req: Request): boolean {
  return req.headers.authorization !== undefined || req.headers.cookie !== undefined;
}

/**
 * Whether a stored answer may be used for this request: a GET, not personal (above), not a
 * range or conditional request; §5.2.1.4/§5.2.1.5: `no-cache` / `no-store` from the client ask
 * for a fresh answer.
 */
export function mayServeFromCache(req: Request): boolean {
  if (req.method !== 'GET' || isPersonal(req)) return false;
  if (RANGE_AND_CONDITIONAL.some((name) => req.headers[name] !== undefined)) return false;
  const directives = cacheControl(req.headers['cache-control']);
  return !directives.has('no-cache') && !directives.has('no-store');
}

/** Whether the answer to this request may be stored at all (same rules as reading, plus `no-store`). */
export function mayStoreAnswerTo(req: Request): boolean {
  if (req.method !== 'GET' || isPersonal(req)) return false;
  return !cacheControl(req.headers['cache-control']).has('no-store');
}

/**
 * How long (ms) this answer may be stored, or 0 when it must not be. Only 200s; never `no-store`,
 * `private` (RFC 9111 §5.2.2.7: not for shared caches) or `no-cache` (would need revalidation, which
 * this cache does not do); never answers that set cookies or vary by request fields, since entries
 * are keyed by the target only. `s-maxage`, else `max-age`, shortens the configured TTL.
 */
export function storableForMs(statusCode: number, headers: IncomingHttpHeaders, configuredTtlMs: number): number {
  if (statusCode !== 200 || headers['set-cookie'] !== undefined || headers.vary !== undefined) return 0;
  const directives = cacheControl(headers['cache-control']);
  if (['no-store', 'private', 'no-cache'].some((name) => directives.has(name))) return 0;
  const maxAge = directives.get('s-maxage') ?? directives.get('max-age');
  if (maxAge === undefined) return configuredTtlMs;
  const seconds = /^\d+$/.test(maxAge) ? Number(maxAge) : 0;
  return Math.min(seconds * 1000, configuredTtlMs);
}
