import { z } from 'zod';

/** An origin as browsers send it: scheme, host and optional port, nothing else. */
const origin = z
  .string()
  .regex(/^https?:\/\/[^/?#\s]+$/, 'must look like "https://example.com" (scheme and host, no path)')
  .transform((value) => value.toLowerCase());

/** At most `messages` per `intervalMs` (a fixed window). */
function rateLimitSchema(messages: number, intervalMs: number) {
  return z
    .object({
      /** Messages allowed per interval; more get an `error` event. */
      messages: z.number().int().min(1).default(messages),
      /** Length of the rate-limit window in milliseconds. */
      intervalMs: z.number().int().min(1).default(intervalMs),
    })
    .strict();
}

export const chatConfigSchema = z
  .object({
    /** Origins allowed besides the service's own; clients that send no Origin are governed by `allowMissingOrigin`. */
    allowedOrigins: z.array(origin).default([]),
    /** Accept handshakes without an Origin header (non-browser clients such as scripts). */
    allowMissingOrigin: z.boolean().default(true),
    /** Redis URL (redis://host:port/db) for sharing rooms, history and membership between processes and hosts. */
    redisUrl: z.string().min(1).optional(),
    /** Messages of a room replayed to a new member; 0 = none. */
    historySize: z.number().int().min(0).max(1000).default(20),
    /** Rooms whose history is kept in memory; the least recently used is forgotten beyond this. */
    maxRooms: z.number().int().min(1).default(1000),
    /** Largest WebSocket message accepted, in bytes; a larger one closes the connection with 1009. */
    maxMessageBytes: z
      .number()
      .int()
      .min(64)
      .max(1024 * 1024)
      .default(4096),
    /** Per-connection message rate limit; more get a `rate_limited` error event and count as strikes. */
    rateLimit: rateLimitSchema(20, 10_000).prefault({}),
    /**
     * Messages per room (all members together, across processes with Redis); more get a `room_busy`
     * error event. Each message costs one delivery per member, so this bounds the fan-out work.
     */
    roomRateLimit: rateLimitSchema(100, 10_000).prefault({}),
    /** Rejected messages in a row (rate-limited or malformed) before the server closes with 1008. */
    maxStrikes: z.number().int().min(1).default(10),
    /** Open connections across all rooms; more handshakes get HTTP 503. */
    maxConnections: z.number().int().min(1).default(1000),
    /** Open connections from one client address (behind a proxy: per `server.trustProxy`); more get HTTP 429. */
    maxConnectionsPerAddress: z.number().int().min(1).default(32),
    /** Ping interval; a peer that has not answered the previous ping by the next one is dropped. */
    heartbeatMs: z.number().int().min(10).default(30_000),
    /** Bytes queued for one client before it counts as a slow reader and is dropped. */
    maxBufferedBytes: z
      .number()
      .int()
      .min(1024)
      .default(1024 * 1024),
    /** Time a closing handshake may take on shutdown before the socket is destroyed. */
    closeTimeoutMs: z.number().int().min(0).default(5000),
  })
  .strict();

export type ChatConfig = z.infer<typeof chatConfigSchema>;
