import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';

export const projectRoot = new URL('../../../', import.meta.url).pathname;
const benchDir = new URL('../', import.meta.url).pathname;

/** A server process under measurement. */
export interface ServerProcess {
  url: string;
  pid: number;
  /** Peak resident set size so far (VmHWM), in bytes. */
  peakRssBytes(): number;
  /** SIGTERM, then SIGKILL if it has not exited within 15 s. */
  stop(): Promise<void>;
}

/** Spawns a TypeScript file of the bench as a child process (through the tsx loader). */
export function spawnBenchScript(relative: string, args: string[], stdio: StdioOptions = ['ignore', 'pipe', 'pipe']): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', `${benchDir}${relative}`, ...args], { cwd: projectRoot, stdio });
}

/** Runs a load process to its end and returns the JSON it prints last. */
export async function runLoad<T>(script: string, job: object): Promise<T> {
  const child = spawnBenchScript(script, [JSON.stringify(job)]);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  const last = stdout.trim().split('\n').at(-1);
  if (code !== 0 || !last) throw new Error(`load process ${script} exited with ${code}: ${stderr.trim()}`);
  return JSON.parse(last) as T;
}

export function peakRssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
  if (!kib) throw new Error(`no VmHWM for ${pid}`);
  return Number(kib) * 1024;
}

export function serverProcess(child: ChildProcess, url: string, output: () => string): ServerProcess {
  return {
    url,
    pid: child.pid!,
    peakRssBytes: () => peakRssOf(child.pid!),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `server ${url} (pid ${child.pid}) died during the run (exit ${child.exitCode}, signal ${child.signalCode}): ${output()}`,
        );
      }
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Collects a child's output (for error messages) and fails fast if it exits early. */
export function watchOutput(child: ChildProcess): () => string {
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  return () => output.slice(-4000);
}

/** Starts a baseline server script (it prints `listening <port>`) serving `root`. */
export async function startBaseline(script: string, root: string): Promise<ServerProcess> {
  const child = spawnBenchScript(script, [root]);
  const output = watchOutput(child);
  const port = await new Promise<number>((resolve, reject) => {
    const onData = () => {
      const match = /listening (\d+)/.exec(output());
      if (match) resolve(Number(match[1]));
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${output()}`)));
  });
  return serverProcess(child, `http://127.0.0.1:${port}`, output);
}

export async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** Polls `url` until it answers 200. */
export async function waitUntilUp(url: string, child: ChildProcess, output: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${output()}`);
    const ok = await fetch(url).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`server at ${url} did not come up: ${output()}`);
}
