import { z } from 'zod';

const extension = z
  .string()
  .regex(/^\.[A-Za-z0-9]{1,16}$/, 'must look like ".mp3"')
  .transform((ext) => ext.toLowerCase());

/** `media`: what POST /media accepts and how files are written. */
export const mediaConfigSchema = z
  .object({
    /** `semantic`: HTTP status follows the code table; `legacy`: HTTP 200 for every media answer. */
    statusMode: z.enum(['semantic', 'legacy']).default('semantic'),
    /** Check that the content's magic bytes match the extension. */
    verifyContent: z.boolean().default(true),
    /** Extensions accepted for upload, compared case-insensitively. */
    allowedExtensions: z.array(extension).min(1).default(['.mp3', '.wav']),
    /** Largest accepted file in bytes; larger is code 413. */
    maxFileSize: z
      .number()
      .int()
      .min(1)
      .default(100 * 1024 * 1024),
    /** Most file parts in one multipart request. */
    maxFiles: z.number().int().min(1).default(10),
    /** Most non-file fields in one request. */
    maxFields: z.number().int().min(1).default(20),
    /** Worker threads of each pool (inspect; write, hash and publish), at most one per core (the Tornado service used 5). */
    poolSize: z.number().int().min(1).max(64).default(5),
    /** fsync each file (and its directory) before answering 200. */
    fsync: z.boolean().default(true),
  })
  .strict();

export type MediaConfig = z.infer<typeof mediaConfigSchema>;
