import { z } from 'zod';

/** A name usable as one path segment of `/proxy/<name>/...` without any encoding. */
const upstreamName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 of A-Z a-z 0-9 . _ - (starting alphanumeric)');

const baseUrl = z.string().refine(isBaseUrl, 'must be an http(s) URL without credentials, query or fragment');

const cacheSchema = z
  .object({
    /** How long a stored answer is served, in ms; a shorter `max-age`/`s-maxage` from the upstream wins. */
    ttlMs: z.number().int().min(1).default(60_000),
    /** Most answers kept for this upstream; the least recently used goes first. */
    maxEntries: z.number().int().min(1).default(1000),
    /** Largest body stored, in bytes; larger answers are passed through and not stored. */
    maxBodyBytes: z
      .number()
      .int()
      .min(1)
      .default(1024 * 1024),
  })
  .strict();

const upstreamObject = z
  .object({
    /** Base URL; `<rest>` of `/proxy/<name>/<rest>` is appended to its path. */
    url: baseUrl,
    /** Overrides `proxy.timeoutMs` for this upstream. */
    timeoutMs: z.number().int().min(1).optional(),
    /** In-memory cache of 200 answers to GET; absent = no cache. */
    cache: cacheSchema.optional(),
  })
  .strict();

/** A bare string is shorthand for `{ "url": <string> }`. */
const upstreamSchema = z.union([baseUrl.transform((url): z.output<typeof upstreamObject> => ({ url })), upstreamObject]);

export const proxyConfigSchema = z
  .object({
    /** Reachable upstreams by name: a base URL, or `{ url, timeoutMs, cache }`. Nothing else is reachable. */
    upstreams: z.record(upstreamName, upstreamSchema).default({}),
    /**
     * ms an upstream may take to connect, to start answering (counted from the last chunk of the
     * request body), or between two chunks of its answer; past it the answer is 504 (or the stream
     * is cut if it had started). Default as in the seed.
     */
    timeoutMs: z.number().int().min(1).default(120_000),
  })
  .strict();

export type ProxyConfig = z.infer<typeof proxyConfigSchema>;
export type UpstreamConfig = z.infer<typeof upstreamSchema>;
export type CacheConfig = z.infer<typeof cacheSchema>;

function isBaseUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  const plain = !url.username && !url.password && !/[?#]/.test(value);
  return (url.protocol === 'http:' || url.protocol === 'https:') && plain;
}
