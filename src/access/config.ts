import { z } from 'zod';

export const SCOPES = ['read', 'write', 'delete'] as const;
export type Scope = (typeof SCOPES)[number];

const keySchema = z
  .object({
    /** A name for logs and upload ownership; never secret. */
    id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, ".", "_" or "-"'),
    /** Hex SHA-256 of the secret the client presents as `Authorization: Bearer <secret>` (`npm run key` prints both). */
    sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits (the SHA-256 of the secret)')
      .transform((hex) => hex.toLowerCase()),
    /** What the key may do. */
    scopes: z.array(z.enum(SCOPES)).min(1),
    /** Directory prefixes the key may use (`music` covers `music/live`, not `musical`); absent = every directory. */
    directories: z
      .array(
        z
          .string()
          .min(1)
          .regex(/^[^/].*[^/]$|^[^/]$/, 'must not start or end with "/"'),
      )
      .min(1)
      .optional(),
  })
  .strict();

const signingKeySchema = z
  .object({
    /** The JWT header `kid` that names this key. */
    id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, ".", "_" or "-"'),
    /** The HMAC secret (its UTF-8 bytes); at least 32 characters. */
    secret: z.string().min(32, 'must be at least 32 characters'),
  })
  .strict();

export const authConfigSchema = z
  .object({
    /** Bearer tokens accepted for everything (each a key with every scope in every directory); empty = none. Also AUTH_TOKENS (comma-separated). */
    tokens: z.array(z.string().min(1)).default([]),
    /** Scoped keys: `{ id, sha256, scopes, directories? }`. */
    keys: z.array(keySchema).default([]),
    /** Require a key with the `read` scope (or a download signature) for GET/HEAD too. */
    protectReads: z.boolean().default(false),
    /** Require a key with `read` in every directory for GET /metrics; absent = as protectReads. */
    protectMetrics: z.boolean().optional(),
    /** Keys that sign URLs: the first signs, all verify (rotate by adding one first). Also AUTH_SIGNING_KEY (one key, id `env`). */
    signingKeys: z.array(signingKeySchema).default([]),
    /** Longest lifetime of a signed download URL, in seconds. */
    maxDownloadExpiresIn: z
      .number()
      .int()
      .min(1)
      .default(7 * 24 * 3600),
    /** Longest lifetime of a signed upload URL, in seconds. */
    maxUploadExpiresIn: z
      .number()
      .int()
      .min(1)
      .default(24 * 3600),
    /** Seconds a signature is still accepted after its `exp`, for clocks that differ a little. */
    clockSkewSeconds: z.number().int().min(0).max(600).default(30),
  })
  .strict()
  .superRefine(({ keys, signingKeys }, ctx) => {
    const seen = new Set<string>();
    keys.forEach((key, index) => {
      if (seen.has(key.id)) ctx.addIssue({ code: 'custom', path: ['keys', index, 'id'], message: `duplicate key id '${key.id}'` });
      seen.add(key.id);
    });
    const kids = new Set<string>();
    signingKeys.forEach((key, index) => {
      if (kids.has(key.id))
        ctx.addIssue({ code: 'custom', path: ['signingKeys', index, 'id'], message: `duplicate signing key id '${key.id}'` });
      kids.add(key.id);
    });
  });

export type AuthConfig = z.infer<typeof authConfigSchema>;
