import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { createApp } from '../../src/app.ts';
import { parseConfig, type Config, type ConfigInput } from '../../src/config.ts';
import { UpstreamRegistry } from '../../src/proxy/upstream-registry.ts';
import { LocalStore, localStoreOptions } from '../../src/storage/local-store.ts';

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

export interface RunningService {
  url: string;
  root: string;
  config: Config;
  store: LocalStore;
  server: http.Server;
  close(): Promise<void>;
}

/** The app on a real HTTP server on 127.0.0.1 with a free port and its own temp root. */
export async function startService(overrides: DeepPartial<ConfigInput> = {}): Promise<RunningService> {
  const root = await tempRoot();
  const config = testConfig(root, overrides);
  const store = await LocalStore.open(localStoreOptions(config));
  const upstreams = new UpstreamRegistry(config.proxy);
  const server = http.createServer(createApp(config, { store, logger: silentLogger, upstreams }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    root: store.root,
    config,
    store,
    server,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await upstreams.close();
      await store.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
