import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { statSync } from 'node:fs';

/** LMDB's two meta pages: a file this small is an index still being created, not yet one to check. */
const FRESH_INDEX_BYTES = 2 * 4096;

/** Longer than any sound index takes to read; a check that hangs counts as failed. */
const CHECK_TIMEOUT_MS = 60_000;

/**
 * The child's program (argv: lmdb's module URL, the index file): opens the index read-only and
 * reads every entry of every database in it. Plain JavaScript given on the command line, so it
 * runs alike from sources and from dist/, with no loader and no file of its own to ship.
 */
const CHECK_PROGRAM = `
const [lmdbUrl, file] = process.argv.slice(1);
const { open } = await import(lmdbUrl);
const root = open({ path: file, readOnly: true, maxDbs: 4 });
const names = [...root.getKeys()].filter((name) => typeof name === 'string');
for (const name of names) for (const _entry of root.openDB({ name }).getRange()) void _entry;
await root.close();
`;

/**
 * Why the LMDB index at `file` cannot be used, or undefined when it reads back whole (or does not
 * exist yet). The check runs in a child process  because LMDB reads its
 * file through a memory map and trusts it: random bytes end the reader with SIGSEGV, a file cut
 * short with SIGBUS, and neither can be caught in the process that reads. Every entry is read, so
every page of the B-trees in use is visited.
 */
export async function checkIndex(file: string): Promise<string | undefined> {
  // Smaller than LMDB's two meta pages: another process of the root (a cluster's worker) is creating it right now.
  if ((statSync(file, { throwIfNoEntry: false })?.size ?? 0) < FRESH_INDEX_BYTES) return undefined;
  const lmdb = import.meta.resolve('lmdb');
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHECK_PROGRAM, lmdb, file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4096)));
  const timer = setTimeout(() => child.kill('SIGKILL'), CHECK_TIMEOUT_MS);
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  if (code === 0) return undefined;
  if (signal) return `reading it ended the check process with ${signal}`;
  const cause = /^\w*Error: .*$/m.exec(stderr)?.[0] ?? stderr.trim().split('\n').at(-1) ?? '';
  return `reading it failed (exit ${code}${cause ? `: ${cause}` : ''})`;
}
