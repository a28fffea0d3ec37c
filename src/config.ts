/** The service's config: each feature's own schema, composed here with the rules that cross features. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { proxyConfigSchema } from './proxy/config.ts';
import { chatConfigSchema } from './chat/config.ts';
import { redisConfigSchema, uploadsConfigSchema } from './uploads/config.ts';
import { authConfigSchema } from './access/config.ts';
import { analysisConfigSchema } from './analysis/config.ts';
import { largestMultipartObject } from './storage/s3/s3-config.ts';
import { storageConfigSchema } from './storage/config.ts';
import { mediaConfigSchema } from './media/config.ts';
import { logConfigSchema } from './observability/config.ts';
import { corsConfigSchema, rateLimitConfigSchema, serverConfigSchema } from './http/config.ts';
import { eventsConfigSchema } from './events/config.ts';

export const configSchema = z
  .object({
    server: serverConfigSchema.prefault({}),
    storage: storageConfigSchema.prefault({}),
    media: mediaConfigSchema.prefault({}),
    auth: authConfigSchema.prefault({}),
    rateLimit: rateLimitConfigSchema.prefault({}),
    proxy: proxyConfigSchema.prefault({}),
    log: logConfigSchema.prefault({}),
    chat: chatConfigSchema.prefault({}),
    uploads: uploadsConfigSchema.prefault({}),
    cors: corsConfigSchema.prefault({}),
    redis: redisConfigSchema.prefault({}),
    analysis: analysisConfigSchema.prefault({}),
    events: eventsConfigSchema.prefault({}),
  })
  .strict()
  .superRefine(({ storage, media }, ctx) => {
    if (storage.backend !== 's3') return;
    if (storage.s3.bucket === undefined)
      ctx.addIssue({ code: 'custom', path: ['storage', 's3', 'bucket'], message: 'required with storage.backend s3' });
    // Files of a part or more go as multipart uploads: at most 10,000 parts, and 5 TiB in all.
    const largest = largestMultipartObject(storage.s3.partSize);
    if (media.maxFileSize > largest) {
      ctx.addIssue({
        code: 'custom',
        path: ['media', 'maxFileSize'],
        message: `must be at most ${largest} (the lesser of 5 TiB and 10,000 parts of storage.s3.partSize) with storage.backend s3`,
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
