import { z } from 'zod';

export const EVENT_TYPES = ['media.created', 'media.deleted'] as const;

const webhookSchema = z
  .object({
    /** Where events are POSTed (http or https). */
    url: z.url({ protocol: /^https?$/ }),
    /** The Standard Webhooks signing secret, `whsec_<base64>` (24 to 64 random bytes). */
    secret: z.string().regex(/^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/, 'must be "whsec_" and the base64 of 24 to 64 random bytes'),
    /** Only these event types; absent = every type. */
    types: z.array(z.enum(EVENT_TYPES)).min(1).optional(),
    /** Only events of these directory prefixes (`music` covers `music/live`, not `musical`); absent = every directory. */
    directories: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();

export const eventsConfigSchema = z
  .object({
    /** Receivers of signed webhooks: `{ url, secret, types?, directories? }`. */
    webhooks: z.array(webhookSchema).default([]),
    /** A delivery is answered 2xx within this time, else it is retried. */
    timeoutMs: z.number().int().min(10).default(10_000),
    /** The first retry's delay; each next one doubles (with jitter), up to maxAgeMs after the event. */
    retryDelayMs: z.number().int().min(10).default(5_000),
    /** A delivery not made this long after its event is failed (listed by GET /events?status=failed). */
    maxAgeMs: z
      .number()
      .int()
      .min(100)
      .default(24 * 3600_000),
    /** Most deliveries kept (pending and failed); past it the oldest failed go first, then, with a warning, the oldest pending. */
    maxPending: z.number().int().min(1).default(100_000),
    /** How long events stay in the log for GET /events and Last-Event-ID resumption. */
    retainMs: z
      .number()
      .int()
      .min(1000)
      .default(24 * 3600_000),
    /** Deliveries in flight at once per webhook (per process). */
    concurrency: z.number().int().min(1).max(64).default(32),
  })
  .strict();

export type EventsConfig = z.infer<typeof eventsConfigSchema>;
export type WebhookConfig = z.infer<typeof webhookSchema>;
