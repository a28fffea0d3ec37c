import { z } from 'zod';
import { s3ConfigSchema } from './s3/s3-config.ts';

/** `storage`: where bytes live and how the temp files of uploads are swept. */
export const storageConfigSchema = z
  .object({
    /** Where bytes live (also STORAGE_BACKEND): `local`, the disk under `root`; `s3`, the bucket of `storage.s3` (staging under `root`). */
    backend: z.enum(['local', 's3']).default('local'),
    /** The bucket of backend `s3`. */
    s3: s3ConfigSchema.prefault({}),
    /** Where media files live; also UPLOAD_DIR. Relative paths resolve against the working directory. */
    root: z.string().min(1).default('./uploads'),
    /** How often the sweep looks for abandoned temp files. */
    sweepIntervalMs: z
      .number()
      .int()
      .min(1000)
      .default(10 * 60_000),
    /** Temp files older than this, of no upload in progress, are abandoned; at least server.idleTimeoutMs. */
    tempMaxAgeMs: z
      .number()
      .int()
      .min(1000)
      .default(6 * 60 * 60_000),
    /** /readyz reports the service unready when the root's filesystem has less free space than this. */
    minFreeBytes: z
      .number()
      .int()
      .min(0)
      .default(64 * 1024 * 1024),
  })
  .strict();

export type StorageConfig = z.infer<typeof storageConfigSchema>;
