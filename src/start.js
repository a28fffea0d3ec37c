// `npm start`: builds dist/ when it is missing or older than src/ (only where TypeScript is
// installed, i.e. not in a production install), then runs dist/server.js in this same process,
// so the signals a supervisor sends to `npm start` reach the server itself.
import cluster from 'node:cluster';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const project = fileURLToPath(new URL('../', import.meta.url));
const entry = `${project}dist/server.js`;
// tsc rewrites its build info only when the output changes; the launcher touches it after a build.
const buildStamp = `${project}dist/.tsbuildinfo`;

/** Newest modification time among the TypeScript sources and the compiler config. */
function newestSourceMs() {
  let newest = statSync(`${project}tsconfig.json`).mtimeMs;
  for (const file of readdirSync(`${project}src`, { recursive: true, withFileTypes: true })) {
    if (file.isFile() && file.name.endsWith('.ts')) newest = Math.max(newest, statSync(`${file.parentPath}/${file.name}`).mtimeMs);
  }
  return newest;
}

function compilerPath() {
  try {
    return createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    return undefined;
  }
}

async function buildIfStale() {
  const stale = !existsSync(entry) || !existsSync(buildStamp) || statSync(buildStamp).mtimeMs < newestSourceMs();
  if (!stale) return;
  const tsc = compilerPath();
  if (!tsc) {
    if (!existsSync(entry)) {
      process.stderr.write('dist/ is missing and TypeScript is not installed: run `npm ci && npm run build` first\n');
      process.exit(1);
    }
    process.stderr.write('dist/ is older than src/ and TypeScript is not installed: starting the existing build\n');
    return;
  }
  process.stderr.write('building dist/ (npm run build)\n');
  const build = spawn(process.execPath, [tsc, '-p', `${project}tsconfig.json`], { stdio: 'inherit' });
  // A stop asked for during the build stops the build too: nothing is serving yet, so exit 0.
  const stopBuild = () => {
    build.kill('SIGTERM');
    process.exit(0);
  };
  process.once('SIGTERM', stopBuild).once('SIGINT', stopBuild);
  const [status] = await once(build, 'exit');
  process.off('SIGTERM', stopBuild).off('SIGINT', stopBuild);
  if (status !== 0) process.exit(status ?? 1);
  const now = new Date();
  utimesSync(buildStamp, now, now);
}

// Cluster workers run this file again: the primary has already built.
if (cluster.isPrimary) await buildIfStale();
process.setSourceMapsEnabled(true);
await import(pathToFileURL(entry).href);
