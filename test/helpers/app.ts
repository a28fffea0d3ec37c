import { mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { parseConfig, type Config, type ConfigInput } from '../../src/config.ts';
import { startService as startRuntimeService, type Service, type ServiceOptions } from '../../src/runtime/service.ts';
import { ConformanceRecorder } from './conformance.ts';
import { s3SuiteOverrides } from './s3-suite.ts';

/** A pino line as written, parsed. */
export type LogLine = Record<string, unknown> & { level: number; msg: string };

/**
 * A logger at `info`, as the service runs by default, whose lines are formatted and kept in
 * memory: the logging path runs on every route in tests, so a crash in it fails them.
 */
export function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

/** An `info` logger whose lines are formatted, then dropped: for tests that never read them. */
export const testLogger = pino({ level: 'info' }, new Writable({ write: (_chunk, _encoding, done) => done() }));

/** A fresh directory under the OS temp dir; never the repo's uploads/. */
export function tempRoot(prefix = 'media-test-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** A validated config for tests: storage in `root`, logging at `info`, the rest from `overrides`. */
export function testConfig(root: string, overrides: DeepPartial<ConfigInput> = {}): Config {
  const base: Record<string, unknown> = { storage: { root }, log: { level: 'info' } };
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
  /** The service's log lines, logged at `info`. */
  logs: LogLine[];
  /** Every answer of this service, held to openapi.yaml. */
  conformance: ConformanceRecorder;
  /**
   * Stops the service (grace period 0) and removes its temp root; then throws if any answer the
   * service gave did not conform to openapi.yaml, so the test file fails.
   */
  close(): Promise<void>;
}

/** The whole service on 127.0.0.1 with a free port and its own temp root, as server.ts runs it. */
export async function startService(
  overrides: DeepPartial<ConfigInput> = {},
  options: { clock?: () => number; eventFeed?: ServiceOptions['eventFeed'] } = {},
): Promise<RunningService> {
  const root = await tempRoot();
  const base = merge({ server: { port: 0, host: '127.0.0.1', shutdownGraceMs: 0 } }, await s3SuiteOverrides());
  const config = testConfig(root, merge(base, overrides as Record<string, unknown>));
  const { logger, lines } = capturingLogger();
  const service = await startRuntimeService(config, { logger, clock: options.clock, eventFeed: options.eventFeed });
  const conformance = new ConformanceRecorder().attach(service.server);
  return {
    ...service,
    root: await realpath(config.storage.root),
    logs: lines,
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
