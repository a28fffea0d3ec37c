/**
 * Header fields that describe one connection, not the message; a proxy must not forward them.
 * RFC 9110 §7.6.1 names Proxy-Connection, Keep-Alive, TE, Transfer-Encoding and Upgrade besides
 * Connection itself. Proxy-Authenticate and Proxy-Authorization concern only the adjacent proxy
 * (RFC 9110 §11.7); Trailer announces trailer fields, which this proxy does not relay.
 */
const HOP_BY_HOP = [
  'connection',
  'proxy-connection',
  'keep-alive',
  'te',
  'transfer-encoding',
  'upgrade',
  'trailer',
  'proxy-authenticate',
  'proxy-authorization',
];

/**
 * The lower-cased names to drop from a message whose Connection field is `connection`:
 * the fixed list plus every option it names (RFC 9110 §7.6.1: intermediaries MUST remove
 * the fields named by Connection before forwarding).
 */
export function hopByHopNames(connection: string | string[] | undefined): Set<string> {
  const names = new Set(HOP_BY_HOP);
  const values = Array.isArray(connection) ? connection : connection === undefined ? [] : [connection];
  for (const value of values) {
    for (const option of value.split(',')) {
      const name = option.trim().toLowerCase();
      if (name) names.add(name);
    }
  }
  return names;
}
