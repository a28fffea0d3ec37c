import { z } from 'zod';

/** `rateLimit`: write limits per client address and per key. */
export const rateLimitConfigSchema = z
  .object({
    /** POST/DELETE /media per client address per window; 0 = no limit. */
    writesPerWindow: z.number().int().min(0).default(0),
    /** POST/DELETE on /media and /uploads per key (or signing key) per window, whatever the address; 0 = no limit. */
    writesPerKeyPerWindow: z.number().int().min(0).default(0),
    /** The window in ms. */
    windowMs: z.number().int().min(1000).default(60_000),
  })
  .strict();

export type RateLimitConfig = z.infer<typeof rateLimitConfigSchema>;

/** `cors`: browser origins allowed to call the API. */
export const corsConfigSchema = z
  .object({
    /** Browser origins (`https://host:port`) allowed to call /media and /uploads; empty = none. */
    allowedOrigins: z.array(z.url()).default([]),
  })
  .strict();

/** `server`: the HTTP server and the processes sharing its port. */
export const serverConfigSchema = z
  .object({
    /** TCP port; also PORT. */
    port: z.number().int().min(0).max(65535).default(8080),
    /** Interface to bind; also HOST. */
    host: z.string().min(1).default('127.0.0.1'),
    /** Processes sharing the port; 0 = one per CPU. */
    workers: z.number().int().min(0).max(256).default(1),
    /** Cluster: the primary stops everything and exits 1 once this many workers died within the window below. */
    workerDeathLimit: z.number().int().min(1).default(10),
    /** The sliding window over which worker deaths are counted. */
    workerDeathWindowMs: z.number().int().min(1000).default(60_000),
    /** On SIGTERM/SIGINT, how long in-flight requests may take to finish before they are cut. */
    shutdownGraceMs: z.number().int().min(0).default(30_000),
    /** A client must send all request headers within this time (slow-headers attacks). */
    headersTimeoutMs: z.number().int().min(1000).default(30_000),
    /** Cap on a whole request, body included; 0 = none, so long uploads are bounded by idleness instead. */
    requestTimeoutMs: z.number().int().min(0).default(0),
    /** A connection with no bytes either way for this long is closed, unless the service is still answering a request that arrived whole. */
    idleTimeoutMs: z.number().int().min(1000).default(120_000),
    /** How long an idle keep-alive connection is kept open between requests. */
    keepAliveTimeoutMs: z.number().int().min(1000).default(5_000),
    /** Express `trust proxy`: hops whose X-Forwarded-For is believed (false = none). */
    trustProxy: z.union([z.boolean(), z.number().int().min(0), z.string().min(1)]).default(false),
  })
  .strict();

export type ServerConfig = z.infer<typeof serverConfigSchema>;
