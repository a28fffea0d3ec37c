import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { freePort, projectRoot, serverProcess, waitUntilUp, watchOutput, type ServerProcess } from './processes.ts';

export interface ServiceOptions {
  /** A fresh upload directory for this run. */
  root: string;
  /** Overrides of the `media` config section (fsync, maxFileSize, ...). */
  media?: Record<string, unknown>;
  /** Further config sections (`proxy`, `chat`, ...), written to the CONFIG_FILE as they are. */
  config?: Record<string, unknown>;
  /** Enables the opt-in event-loop probe (src/diagnostics.ts). */
  probeEventLoop?: boolean;
  /** Writes V8 CPU profiles of the service (main thread and pool threads) here. */
  cpuProfDir?: string;
  /** Further environment variables (e.g. the S3 backend's credentials). */
  env?: Record<string, string>;
  /** The service's log level (`log.level`); default warn. */
  logLevel?: string;
  /** Another Node binary and its extra arguments (the runtime scenario's Node 20); default this one's. */
  runtime?: { node: string; args: string[] };
}

export interface EventLoopLag {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  samples: number;
}

export interface ServiceProcess extends ServerProcess {
  /** Event-loop delay since the previous call (needs `probeEventLoop`). */
  eventLoopLag(): Promise<EventLoopLag>;
}

/**
 * Starts the built service as a user would (`node dist/server.js`, as `npm start` does after
 * building) with a production config: NODE_ENV=production, logging at warn, the bench's
 * overrides in a CONFIG_FILE, a fresh UPLOAD_DIR.
 */
export async function startService(options: ServiceOptions): Promise<ServiceProcess> {
  const configFile = `${options.root}.config.json`;
  writeFileSync(configFile, JSON.stringify({ ...options.config, log: { level: options.logLevel ?? 'warn' }, media: options.media ?? {} }));
  const port = await freePort();
  const profiling = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [];
  const runtime = options.runtime ?? { node: process.execPath, args: [] };
  const child = spawn(runtime.node, [...runtime.args, '--enable-source-maps', ...profiling, 'dist/server.js'], {
    cwd: projectRoot,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      CONFIG_FILE: configFile,
      UPLOAD_DIR: options.root,
      HOST: '127.0.0.1',
      PORT: String(port),
      ...(options.probeEventLoop ? { BENCH_EVENT_LOOP: '1' } : {}),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = watchOutput(child);
  const url = `http://127.0.0.1:${port}`;
  await waitUntilUp(`${url}/healthz`, child, output);
  return {
    ...serverProcess(child, url, output),
    async eventLoopLag() {
      const res = await fetch(`${url}/_bench/event-loop`);
      if (!res.ok) throw new Error(`event-loop probe answered ${res.status}`);
      return (await res.json()) as EventLoopLag;
    },
  };
}
