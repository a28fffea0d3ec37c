import { z } from 'zod';

export const uploadsConfigSchema = z
  .object({
    /** An incomplete resumable upload is removed this long after its creation (`Upload-Expires`). */
    expireAfterMs: z
      .number()
      .int()
      .min(1000)
      .default(24 * 60 * 60_000),
    /** How often expired resumable uploads are looked for and removed. */
    sweepIntervalMs: z
      .number()
      .int()
      .min(1000)
      .default(10 * 60_000),
    /** How long a request waits for another request, in any process, to release an upload. */
    lockTimeoutMs: z.number().int().min(100).default(20_000),
  })
  .strict();

export type UploadsConfig = z.infer<typeof uploadsConfigSchema>;
