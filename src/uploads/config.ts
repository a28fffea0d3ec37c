import { z } from 'zod';
import type { MediaConfig } from '../media/config.ts';
import type { StorageConfig } from '../storage/config.ts';

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

/** `redis`: the Redis shared by the processes and hosts of one service. */
export const redisConfigSchema = z
  .object({
    /** Redis URL (redis://host:port/db) shared by the processes and hosts of one service: locks of resumable uploads and of S3 multipart completions (else chat.redisUrl). */
    url: z.string().min(1).optional(),
    /** Deadline of every Redis call of the upload locks and of the readiness check: a frozen Redis costs a request this long per try, never more than uploads.lockTimeoutMs. */
    commandTimeoutMs: z.number().int().min(50).default(2000),
  })
  .strict();

export type RedisConfig = z.infer<typeof redisConfigSchema>;

/** What resumable uploads need of the service's config (`chat.redisUrl`: the Redis when `redis.url` is unset). */
export interface ResumableConfig {
  uploads: UploadsConfig;
  redis: RedisConfig;
  storage: StorageConfig;
  media: MediaConfig;
  chat: { redisUrl?: string | undefined };
}
