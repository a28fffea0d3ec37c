import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { proxyConfigSchema } from './proxy/config.ts';
import { chatConfigSchema } from './chat/config.ts';
import { uploadsConfigSchema } from './uploads/config.ts';
import { authConfigSchema } from './access/config.ts';
import { eventsConfigSchema } from './events/config.ts';
import { MAX_SINGLE_PUT_BYTES, s3ConfigSchema } from './storage/s3/s3-config.ts';

const extension = z
  .string()
  .regex(/^\.[A-Za-z0-9]{1,16}$/, 'must look like ".mp3"')
  .transform((ext) => ext.toLowerCase());

const serverSchema = z
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
    /** A connection with no bytes either way for this long is closed. */
    idleTimeoutMs: z.number().int().min(1000).default(120_000),
    /** How long an idle keep-alive connection is kept open between requests. */
    keepAliveTimeoutMs: z.number().int().min(1000).default(5_000),
    /** Express `trust proxy`: hops whose X-Forwarded-For is believed (false = none). */
    trustProxy: z.union([z.boolean(), z.number().int().min(0), z.string().min(1)]).default(false),
  })
  .strict();

const rateLimitSchema = z
  .object({
    /** POST/DELETE /media per client address per window; 0 = no limit. */
    writesPerWindow: z.number().int().min(0).default(0),
    /** POST/DELETE on /media and /uploads per key (or signing key) per window, whatever the address; 0 = no limit. */
    writesPerKeyPerWindow: z.number().int().min(0).default(0),
    /** The window in ms. */
    windowMs: z.number().int().min(1000).default(60_000),
  })
  .strict();

const storageSchema = z
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

const mediaSchema = z
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

const corsSchema = z
  .object({
    /** Browser origins (`https://host:port`) allowed to call /media and /uploads; empty = none. */
    allowedOrigins: z.array(z.url()).default([]),
  })
  .strict();

const redisSchema = z
  .object({
    /** Redis URL (redis://host:port/db) shared by the processes and hosts of one service: locks of resumable uploads (else chat.redisUrl). */
    url: z.string().min(1).optional(),
    /** Deadline of every Redis call of the upload locks and of the readiness check: a frozen Redis costs a request this long per try, never more than uploads.lockTimeoutMs. */
    commandTimeoutMs: z.number().int().min(50).default(2000),
  })
  .strict();

const logSchema = z
  .object({
    /** pino level; also LOG_LEVEL. */
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict();

export const configSchema = z
  .object({
    server: serverSchema.prefault({}),
    storage: storageSchema.prefault({}),
    media: mediaSchema.prefault({}),
    auth: authConfigSchema.prefault({}),
    rateLimit: rateLimitSchema.prefault({}),
    proxy: proxyConfigSchema.prefault({}),
    log: logSchema.prefault({}),
    chat: chatConfigSchema.prefault({}),
    uploads: uploadsConfigSchema.prefault({}),
    cors: corsSchema.prefault({}),
    redis: redisSchema.prefault({}),
    events: eventsConfigSchema.prefault({}),
  })
  .strict()
  .superRefine(({ storage, media }, ctx) => {
    if (storage.backend !== 's3') return;
    if (storage.s3.bucket === undefined)
      ctx.addIssue({ code: 'custom', path: ['storage', 's3', 'bucket'], message: 'required with storage.backend s3' });
    // Files are published with one conditional PutObject: nothing larger can be stored.
    if (media.maxFileSize > MAX_SINGLE_PUT_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['media', 'maxFileSize'],
        message: `must be at most ${MAX_SINGLE_PUT_BYTES} (5 GiB, one S3 PUT) with storage.backend s3`,
      });
    }
  })
  .superRefine(({ server, storage }, ctx) => {
    // A client may pause for up to the idle timeout; its temp file must outlive that pause.
    if (storage.tempMaxAgeMs < server.idleTimeoutMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['storage', 'tempMaxAgeMs'],
        message: `must be at least server.idleTimeoutMs (${server.idleTimeoutMs})`,
      });
    }
  });

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** A config that cannot be used; `message` holds one line per problem, each naming its key. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Environment variables and the config key each one sets. */
const envKeys: Record<string, { key: string[]; parse: (value: string) => unknown }> = {
  PORT: { key: ['server', 'port'], parse: numberOrString },
  HOST: { key: ['server', 'host'], parse: (v) => v },
  UPLOAD_DIR: { key: ['storage', 'root'], parse: (v) => v },
  STORAGE_BACKEND: { key: ['storage', 'backend'], parse: (v) => v },
  S3_ENDPOINT: { key: ['storage', 's3', 'endpoint'], parse: (v) => v },
  S3_BUCKET: { key: ['storage', 's3', 'bucket'], parse: (v) => v },
  S3_REGION: { key: ['storage', 's3', 'region'], parse: (v) => v },
  AUTH_TOKENS: {
    key: ['auth', 'tokens'],
    parse: (v) =>
      v
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
  },
  AUTH_SIGNING_KEY: { key: ['auth', 'signingKeys'], parse: (v) => [{ id: 'env', secret: v }] },
  LOG_LEVEL: { key: ['log', 'level'], parse: (v) => v },
};

function numberOrString(value: string): unknown {
  return /^\d+$/.test(value) ? Number(value) : value;
}

/**
 * Validates a config object, applies defaults and resolves the storage root.
 * Throws ConfigError listing every problem, one line each naming the offending key.
 */
export function parseConfig(input: unknown, cwd = process.cwd(), origins: Record<string, string> = {}): Config {
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const key = issue.path.join('.') || '(root)';
      // An environment variable may set a whole list (AUTH_SIGNING_KEY): its items' problems name it too.
      const source = Object.keys(origins).find((set) => key === set || key.startsWith(`${set}.`));
      const origin = source ? ` (from ${origins[source]})` : '';
      return `invalid config: ${key}${origin}: ${issue.message.replace(/\s*\n\s*/g, ' ')}`;
    });
    throw new ConfigError(lines.join('\n'));
  }
  const config = result.data;
  config.storage.root = path.resolve(cwd, config.storage.root);
  return deepFreeze(config);
}

export interface ConfigSources {
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/**
 * config/default.json, then config/<NODE_ENV>.json, then CONFIG_FILE, then environment variables;
 * later sources override earlier ones key by key.
 */
export function loadConfig({ env, cwd }: ConfigSources): Config {
  const files = [path.join(cwd, 'config', 'default.json')];
  if (env.NODE_ENV) files.push(path.join(cwd, 'config', `${env.NODE_ENV}.json`));
  let merged: Record<string, unknown> = {};
  for (const file of files) {
    if (existsSync(file)) merged = deepMerge(merged, readJson(file));
  }
  if (env.CONFIG_FILE) {
    const file = path.resolve(cwd, env.CONFIG_FILE);
    if (!existsSync(file)) throw new ConfigError(`invalid config: CONFIG_FILE: no such file ${file}`);
    merged = deepMerge(merged, readJson(file));
  }
  const origins: Record<string, string> = {};
  for (const [name, { key, parse }] of Object.entries(envKeys)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    merged = deepMerge(merged, nest(key, parse(value)));
    origins[key.join('.')] = name;
  }
  return parseConfig(merged, cwd, origins);
}

function readJson(file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`invalid config: ${file}: ${(error as Error).message}`);
  }
  if (!isPlainObject(value)) throw new ConfigError(`invalid config: ${file}: must hold a JSON object`);
  return value;
}

function nest(keys: string[], value: unknown): Record<string, unknown> {
  return keys.reduceRight<Record<string, unknown>>((inner, key) => ({ [key]: inner }), value as never);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prior = out[key];
    out[key] = isPlainObject(prior) && isPlainObject(value) ? deepMerge(prior, value) : value;
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
