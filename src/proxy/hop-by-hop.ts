/**
 * Header fields that describe one connection, not the message; a proxy must not forward them.
 * RFC 9110 §7.6.1 names Proxy-Connection, Keep-Alive, TE, Transfer-Encoding and Upgrade besides
 * Connection itself. Proxy-Authenticate and Proxy-Authorization concern only the adjacent proxy
 * (RFC 9110 §11.7); Trailer announces trailer fields, which this proxy does not relay.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'te',
  'transfer-encoding',
  'upgrade',
  'trailer',
  'proxy-authenticate',
  'proxy-authorization',
]);

/**
 * Whether a lower-cased field name must be dropped from a message whose Connection field is
 * `connection`: the fixed list plus every option it names (RFC 9110 §7.6.1: intermediaries MUST
 * remove the fields named by Connection before forwarding). Runs twice per proxied request, so
 * the fixed list is built once and only Connection's own options per message.
 */
export function hopByHop(connection: string | string[] | undefined): (name: string) => boolean {
  if (connection === undefined) return (name) => HOP_BY_HOP.has(name);
  const named = new Set<string>();
  for (const value of Array.isArray(connection) ? connection : [connection]) {
    for (const option of value.split(',')) {
      const name = option.trim().toLowerCase();
      if (name) named.add(name);
    }
  }
  return (name) => HOP_BY_HOP.has(name) || named.has(name);
}
