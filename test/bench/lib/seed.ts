import { execFileSync, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { serverProcess, watchOutput, type ServerProcess } from './processes.ts';

/** Debian's interpreter, where `python3-tornado` installs: not a pyenv python3 first on PATH. */
const PYTHON = '/usr/bin/python3';
const SEED_DIR = new URL('../baselines/seed-tornado/', import.meta.url).pathname;

export type SeedVariant = 'multipart' | 'urlencoded';

const hasTornado = () => {
  try {
    execFileSync(PYTHON, ['-c', 'import tornado'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

const aptInstall = () =>
  execFileSync('apt-get', ['install', '-y', 'python3-tornado'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });

let checked = false;

/** Installs Debian's python3-tornado when `/usr/bin/python3` cannot import tornado. */
export function ensureTornado(): void {
  if (checked || hasTornado()) {
    checked = true;
    return;
  }
  process.stderr.write('  the seed baseline needs python3-tornado: apt-get install -y python3-tornado\n');
  try {
    aptInstall();
  } catch {
    execFileSync('apt-get', ['update'], { stdio: 'inherit' });
    aptInstall();
  }
  if (!hasTornado()) throw new Error(`${PYTHON} still cannot import tornado after installing python3-tornado`);
  checked = true;
}

/**
 * Starts the seed service's own handler (baselines/seed-tornado/main.py) writing under `root`,
 * on a port the kernel picks; stopped by its PID like the other servers.
 */
export async function startSeed(variant: SeedVariant, root: string): Promise<ServerProcess> {
  ensureTornado();
  const child = spawn(PYTHON, [path.join(SEED_DIR, 'main.py'), variant], {
    cwd: SEED_DIR,
    env: { PATH: process.env.PATH, UPLOAD_PATH: root, PYTHONDONTWRITEBYTECODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = watchOutput(child);
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const match = /listening (\d+)/.exec(output());
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`seed ${variant} exited with ${code}: ${output()}`)));
  });
  return serverProcess(child, `http://127.0.0.1:${port}`, output);
}

/**
 * The seed answers HTTP 200 whatever happened (its own code, e.g. 500, is in the JSON body), so
 * a run is checked on disk: every upload answered must have left its file in `<root>/<directory>`.
 */
export function assertSeedStored(root: string, directory: string, answered: number, what: string): void {
  const stored = readdirSync(path.join(root, directory)).length;
  if (stored < answered) throw new Error(`${what}: ${answered} uploads answered 200 but only ${stored} files stored`);
}
