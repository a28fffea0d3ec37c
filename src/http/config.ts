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
