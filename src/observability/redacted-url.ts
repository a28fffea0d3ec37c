/** Query parameters that carry a credential: a signed URL's signature, a token (RFC 6750 2.3 `access_token`). */
const SECRET_PARAMETERS = new Set(['signature', 'access_token', 'token']);

/**
 * The URL as logs may hold it: the value of every credential-carrying query parameter replaced by
 * `[redacted]`, the rest kept byte for byte (names are compared case-insensitively, after decoding).
 */
export function redactedUrl(url: string): string {
  const query = url.indexOf('?');
  if (query === -1) return url;
  const pairs = url.slice(query + 1).split('&');
  const kept = pairs.map((pair) => {
    const equals = pair.indexOf('=');
    const rawName = equals === -1 ? pair : pair.slice(0, equals);
    return SECRET_PARAMETERS.has(decodedName(rawName).toLowerCase()) ? `${rawName}=[redacted]` : pair;
  });
  return `${url.slice(0, query)}?${kept.join('&')}`;
}

function decodedName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}
