import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from './process.ts';

/**
 * A fresh checkout of this working tree in a temp dir: the files git tracks or would track, as they
 * are now (uncommitted edits included, so a test sees the code it runs beside), and nothing else:
 * no node_modules, no dist/, no uploads. What a `git clone` of a commit of this tree gives.
 */
export async function freshCheckout(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'readme-checkout-'));
  const { stdout } = await promisify(execFile)('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: projectRoot,
  });
  for (const file of stdout.split('\0').filter(Boolean)) {
    // A tracked file deleted in the working tree is not in a checkout of it either.
    if (!existsSync(path.join(projectRoot, file))) continue;
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await copyFile(path.join(projectRoot, file), path.join(dir, file));
  }
  return dir;
}
