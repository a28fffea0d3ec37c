import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The oldest Node the service runs on (package.json `engines`): it needs `node:sqlite` without a flag. */
const OLDEST = [24, 11] as const;
/** The Node that `npm ci` installs with the project (the `node` package). */
const PROJECT_NODE = fileURLToPath(new URL('../../node_modules/node/bin/node', import.meta.url));
const FORWARDED = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

function supported(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > OLDEST[0] || (major === OLDEST[0] && minor >= OLDEST[1]);
}

/**
 * True when this Node can run the service. Otherwise (e.g. `node dist/server.js` with an older
 * system Node) the same command is run again on the project's own Node, this process forwarding
 * signals and ending as it ends; with no project Node, one line says what to do and the exit is 1.
 */
export function onSupportedNode(): boolean {
  if (supported(process.versions.node)) return true;
  if (!existsSync(PROJECT_NODE)) {
    process.stderr.write(
      `Node ${process.versions.node} cannot run this service: it needs Node ${OLDEST.join('.')} or newer (npm ci installs it)\n`,
    );
    process.exit(1);
  }
  const child = spawn(PROJECT_NODE, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  for (const signal of FORWARDED) process.on(signal, () => child.kill(signal));
  child.once('exit', (code, signal) => {
    if (signal) {
      for (const forwarded of FORWARDED) process.removeAllListeners(forwarded);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
  return false;
}
