import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * One temp directory per test run, removed when the run ends: every temp root the tests make
 * (`os.tmpdir()` reads TMPDIR, which the test files' processes and the services they start
 * inherit) lands in it, so a run leaves nothing behind in the machine's temp directory.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'media-tests-'));
  // Enterable by others, as the temp directory itself is: a test that runs a command as `nobody`
  // opens its own directory inside to it (system-packages.test.ts).
  chmodSync(dir, 0o755);
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
