/**
 * The main thread's semi-space in MiB (V8's young generation is two of them). Node 24 lets it grow
 * to 32 MiB each, and a process that takes large uploads gets there: 64 MiB of young generation,
 * the largest part of the service's peak RSS, for garbage that is short-lived either way. Half
 * that keeps the peak down; less makes every small request (a proxied one most) pay in garbage
 * collection (test/bench/NOTES.md, issue 30). Pool threads have their own bound (worker-pool.ts).
 */
export const MAIN_SEMI_SPACE_MB = 16;

const FLAG = '--max-semi-space-size';

/**
 * V8 reads its heap sizes once, when the process starts, so a process started without the bound
 * (`node dist/server.js`) replaces itself with the same command and the bound in NODE_OPTIONS:
 * same PID, so supervisors, signals and the cluster's workers (which inherit the environment) see
 * one process. A bound the operator set (in NODE_OPTIONS or on the command line) is kept as it is.
 */
export function boundYoungGeneration(): void {
  const nodeOptions = process.env.NODE_OPTIONS ?? '';
  const setAlready = [...process.execArgv, ...nodeOptions.split(/\s+/)].some((arg) => arg.startsWith(FLAG));
  // process.execve is POSIX only: elsewhere the service runs on V8's defaults.
  if (setAlready || typeof process.execve !== 'function') return;
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    ...process.env,
    NODE_OPTIONS: `${nodeOptions} ${FLAG}=${MAIN_SEMI_SPACE_MB}`.trim(),
  });
}
