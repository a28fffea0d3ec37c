import { execFileSync } from 'node:child_process';
import { existsSync, readlinkSync, realpathSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot, startServiceProcess, type ServiceProcess } from './helpers/process.ts';
import { tempRoot } from './helpers/app.ts';

const PROJECT_NODE = realpathSync(`${projectRoot}node_modules/node/bin/node`);

/** The first `node` on PATH that is not the project's own: what `node dist/server.js` meets on a machine. */
function systemNode(): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'node');
    if (!dir.includes('node_modules') && existsSync(candidate)) return candidate;
  }
  throw new Error('no node on PATH outside node_modules');
}

const versionOf = (node: string) => execFileSync(node, ['--version'], { encoding: 'utf8' }).trim().slice(1);
const [major = 0, minor = 0] = versionOf(systemNode()).split('.').map(Number);
const systemIsOlder = major < 24 || (major === 24 && minor < 11);

/** The processes whose parent is `pid`. */
async function childrenOf(pid: number): Promise<number[]> {
  const tasks = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
  return tasks.split(' ').filter(Boolean).map(Number);
}

describe(`the service started by the machine's own node (${versionOf(systemNode())})`, () => {
  let service: ServiceProcess | undefined;
  let root: string | undefined;
  afterAll(async () => {
    await service?.stop('SIGKILL');
    if (root) await rm(root, { recursive: true, force: true });
  });

  it(
    systemIsOlder ? 'runs on the project Node 24 instead, and stops when the launcher is told to' : 'runs on it directly',
    async () => {
      root = await tempRoot('older-node-');
      service = await startServiceProcess({ UPLOAD_DIR: root, LOG_LEVEL: 'info' }, 30_000, systemNode());
      const ready = await fetch(`${service.url}/readyz`);
      expect(await ready.json()).toEqual({ status: 'ready' });
      const servers = systemIsOlder ? await childrenOf(service.child.pid!) : [service.child.pid!];
      expect(servers).toHaveLength(1);
      expect(readlinkSync(`/proc/${servers[0]}/exe`)).toBe(systemIsOlder ? PROJECT_NODE : readlinkSync(`/proc/${service.child.pid}/exe`));
      expect(await service.stop('SIGTERM')).toBe(0);
      expect(existsSync(`/proc/${servers[0]}`)).toBe(false);
      expect(service.output()).toContain('"msg":"stopped"');
    },
    60_000,
  );
});
