import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { projectRoot } from './processes.ts';

/** Where the baseline's Node 20 is installed: under node_modules/ (gitignored), kept between runs. */
const prefix = `${projectRoot}node_modules/.cache/bench-runtime/node20`;
const node = `${prefix}/node_modules/.bin/node`;

/**
 * The runtime scenario's baseline: Node 20 from the npm registry, installed the way `npm ci`
 * installs the service's Node 24 (the `node` package), plus undici 7 for the hook in
 * baselines/node20-undici7.js. Installed at bench time on first use.
 */
export function node20(): { node: string; args: string[]; version: string } {
  const installed = () => existsSync(node) && execFileSync(node, ['--version'], { encoding: 'utf8' }).startsWith('v20.');
  if (!installed()) {
    mkdirSync(prefix, { recursive: true });
    const manifest = { private: true, dependencies: { node: '^20.19.0', undici: '^7.30.2' }, allowScripts: { node: true } };
    writeFileSync(`${prefix}/package.json`, `${JSON.stringify(manifest, null, 2)}\n`);
    execFileSync('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error'], { stdio: 'inherit' });
    if (!installed()) throw new Error(`npm did not install Node 20 at ${node}`);
  }
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  return { node, args: ['--import', `${projectRoot}test/bench/baselines/node20-undici7.js`], version };
}
