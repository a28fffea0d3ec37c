import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { exitOf } from './process.ts';

export interface RedisServer {
  url: string;
  /** The redis-server process: a test freezes it (SIGSTOP) and thaws it (SIGCONT) by this PID. */
  pid: number;
  stop(): Promise<void>;
}

/** A port the OS says is free right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

/** A throwaway Debian `redis-server` on a spare loopback port: no persistence, stopped by the test. */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid!,
    async stop() {
      // A frozen server would not see SIGTERM until thawed.
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      await exitOf(child, 5000);
    },
  };
}
