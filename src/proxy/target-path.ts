import { AppError } from '../errors.ts';

/** What `/proxy/<name><rest>?<query>` asks for, still percent-encoded as received. */
export interface ProxyTarget {
  name: string;
  /** `''` or a path starting with `/`, appended verbatim to the upstream's base path. */
  rest: string;
  /** `''` or `?` followed by the raw query string. */
  query: string;
}

// RFC 9112 §3.2.2: a server must accept the absolute-form (`GET http://host/path`); its authority
// is dropped here, so it can never choose the upstream.
const ABSOLUTE_FORM_PREFIX = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;
/** Percent-decoding rounds tried on a segment, so double-encoded tricks (`%252e%252e`) are seen too. */
const DECODE_ROUNDS = 3;

/**
 * Splits the request target below the mount point (Express's `req.url` inside the router).
 * The name is only ever looked up among configured upstreams; the rest is checked by `checkRest`.
 */
export function parseTarget(url: string): ProxyTarget {
  const originForm = url.replace(ABSOLUTE_FORM_PREFIX, '');
  const queryAt = originForm.indexOf('?');
  const path = queryAt === -1 ? originForm : originForm.slice(0, queryAt);
  const query = queryAt === -1 ? '' : originForm.slice(queryAt);
  const match = /^\/([^/]*)(\/.*)?$/s.exec(path);
  return { name: match?.[1] ?? '', rest: match?.[2] ?? '', query };
}

/**
 * Rejects a rest path that an upstream could resolve outside the base path: `..` segments
 * (RFC 3986 §5.2.4 dot-segment removal) in any encoding, also with `;parameters` (`..;`), backslashes (treated as `/` by some
 * servers) and encoded slashes, also when double-encoded, and malformed percent-encoding.
 * The upstream host never depends on the rest: it is fixed by the upstream's connection pool.
 */
export function checkRest(rest: string): void {
  for (const segment of rest.split('/')) {
    const problem = segmentProblem(segment);
    if (problem) throw new AppError('INVALID_ARGUMENT', `unsafe proxy path: ${problem}`);
  }
}

function segmentProblem(segment: string): string | undefined {
  let current = segment;
  for (let round = 0; round <= DECODE_ROUNDS; round++) {
    // Servlet containers (Tomcat, Jetty) drop `;parameters` from a segment before resolving it,
    // so `..;` and `..;x=1` mean `..` to them.
    if (withoutParameters(current) === '..') return 'dot-dot segment';
    if (current.includes('\\')) return 'backslash';
    if (current.includes('/')) return 'encoded slash';
    if (!current.includes('%')) return undefined;
    const decoded = percentDecode(current);
    if (decoded === undefined) return 'malformed percent-encoding';
    current = decoded;
  }
  return 'too deeply percent-encoded';
}

function withoutParameters(segment: string): string {
  const at = segment.indexOf(';');
  return at === -1 ? segment : segment.slice(0, at);
}

/** Byte-wise decoding into latin1, so any byte sequence decodes (UTF-8 or not) and `/` stays `/`. */
function percentDecode(text: string): string | undefined {
  if (/%(?![0-9A-Fa-f]{2})/.test(text)) return undefined;
  return text.replace(/%([0-9A-Fa-f]{2})/g, (_escape, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
