import { mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { parseConfig, type Config, type ConfigInput } from '../../src/config.ts';
import { startService as startRuntimeService, type Service } from '../../src/runtime/service.ts';
import { ConformanceRecorder } from './conformance.ts';
import { s3SuiteOverrides } from './s3-suite.ts';

export const silentLogger = pino({ level: 'silent' });

/** A fresh directory under the OS temp dir; never the repo's uploads/. */
export function tempRoot(prefix = 'media-test-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** A validated config for tests: storage in `root`, logging silent, the rest from `overrides`. */
export function testConfig(root: string, overrides: DeepPartial<ConfigInput> = {}): Config {
  const base: Record<string, unknown> = { storage: { root }, log: { level: 'silent' } };
  return parseConfig(merge(base, overrides as Record<string, unknown>));
}

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const prior = out[key];
    const bothObjects = [prior, value].every((v) => typeof v === 'object' && v !== null && !Array.isArray(v));
    out[key] = bothObjects ? merge(prior as Record<string, unknown>, value as Record<string, unknown>) : value;
  }
  return out;
}

export interface RunningService extends Service {
  root: string;
  /** Every answer of this service, held to openapi.yaml. */
  conformance: ConformanceRecorder;
  /**
   * Stops the service (grace period 0) and removes its temp root; then throws if any answer the
   * service gave did not conform to openapi.yaml, so the test file fails.
   */
  close(): Promise<void>;
}

/** The whole service on 127.0.0.1 with a free port and its own temp root, as server.ts runs it. */
export async function startService(overrides: DeepPartial<ConfigInput> = {}): Promise<RunningService> {
  const root = await tempRoot();
  const base = merge({ server: { port: 0, host: '127.0.0.1', shutdownGraceMs: 0 } }, await s3SuiteOverrides());
  const config = testConfig(root, merge(base, overrides as Record<string, unknown>));
  const service = await startRuntimeService(config, { logger: silentLogger });
  const conformance = new ConformanceRecorder().attach(service.server);
  return {
    ...service,
    root: await realpath(config.storage.root),
    conformance,
    async close() {
      try {
        await service.stop();
      } finally {
        await rm(root, { recursive: true, force: true });
      }
      conformance.assertConforms();
    },
  };
}
