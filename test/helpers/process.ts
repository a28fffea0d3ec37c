import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';
import { pathToFileURL } from 'node:url';

export const projectRoot = new URL('../../', import.meta.url).pathname;
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** Sends `signal` and resolves with the exit code; kills it if it has not exited in `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

/** Where the run's global setup compiles src/ (setup/service-build.ts): the service processes tests start run from it. */
export const serviceBuild = `${projectRoot}.test-dist`;

/**
 * The bound on the main thread's young generation that the service otherwise adds to NODE_OPTIONS by
 * replacing itself at start (src/runtime/young-generation.ts): given here, each service a test
 * starts boots Node once, not twice. runtime-young-generation.test.ts starts one without it.
 */
export const BOUNDED_YOUNG_GENERATION = '--max-semi-space-size=16';

/** Runs the service as its own process, as `npm start` runs dist/server.js (on `node`, this test's Node by default). */
export function spawnService(env: Record<string, string>, cwd = projectRoot, node = process.execPath): ChildProcess {
  return spawn(node, [`${serviceBuild}/server.js`], {
    cwd,
    env: { PATH: process.env.PATH, NODE_OPTIONS: BOUNDED_YOUNG_GENERATION, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function exitOf(child: ChildProcess, timeoutMs = 15_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/**
 * Starts the service on a free port (PORT=0) and waits for its "listening" log line: 25 s by
 * default, for a start that takes a second alone and far longer on a CI machine whose two cores
 * run three test files at once (a cluster of three processes took over 15 s there).
 */
export async function startServiceProcess(env: Record<string, string>, timeoutMs = 25_000, node?: string): Promise<ServiceProcess> {
  const child = spawnService({ PORT: '0', ...env }, projectRoot, node);
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    // A service that did not start in time is killed: nothing is left running behind the test.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`service did not start: ${output}`));
    }, timeoutMs);
    const check = () => {
      const match = /listening on (http:\/\/[^"\s]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`service exited with ${code}: ${output}`)));
  });
  return {
    child,
    url,
    output: () => output,
    stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      if (child.exitCode === null) child.kill(signal);
      return exitOf(child, timeoutMs);
    },
  };
}

/** A loopback port the OS says is free right now (for a server that must keep its port across restarts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

/** Whether a process with this PID exists (signal 0 checks without sending anything). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** What a command printed and how it exited. */
export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `file` to its end in `cwd` with only `env` (PATH included when given), collecting its output. */
export function runToEnd(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  return outputToEnd(spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** What a child started with piped stdout and stderr prints, and how it exits. */
export function outputToEnd(child: ChildProcess): Promise<Ran> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Runs a test helper script (TypeScript) as its own process and waits until it prints `ready`. */
export async function startHelperProcess(script: string, args: string[], ready: string, timeoutMs = 10_000): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', tsx, `${projectRoot}test/helpers/${script}`, ...args], {
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not print ${ready}: ${output}`)), timeoutMs);
    const check = (chunk: Buffer) => {
      output += chunk;
      if (!output.includes(ready)) return;
      clearTimeout(timer);
      resolve();
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${output}`)));
  });
  return child;
}
