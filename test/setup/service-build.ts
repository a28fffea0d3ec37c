import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { serviceBuild } from '../helpers/process.ts';

/**
 * Compiles src/ once per test run into the directory the tests start service processes from
 * (helpers/process.ts). A process started from compiled JavaScript runs as `npm start` runs it and
 * starts in about half the CPU time of one run through tsx; the suite starts a few hundred.
 * Incremental: a run with the sources unchanged only checks them.
 */
export default async function setup(): Promise<void> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const build = spawn(
    process.execPath,
    [tsc, '-p', 'tsconfig.json', '--outDir', serviceBuild, '--tsBuildInfoFile', `${serviceBuild}/.tsbuildinfo`],
    {
      cwd: new URL('../../', import.meta.url),
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const [code] = (await once(build, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`tsc exited with ${code}: the service cannot be built for the tests`);
}
