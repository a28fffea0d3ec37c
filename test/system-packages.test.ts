import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshCheckout } from './helpers/checkout.ts';
import { projectRoot } from './helpers/process.ts';

const run = promisify(execFile);
const SCRIPT = new URL('setup/system-packages.sh', import.meta.url).pathname;
const BASH = '/bin/bash';

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the pretest installer with its own package list; as `nobody` when asked (via setpriv if we
 * are root), from a copy in `readable` (a directory `nobody` can enter): the checkout may sit
 * where `nobody` cannot go, such as under a 0700 home.
 */
async function installer(list: string, { asNobody = false, PATH = process.env.PATH ?? '', readable = '' } = {}): Promise<Outcome> {
  const env = { PATH, SYSTEM_PACKAGES_LIST: list };
  let script = SCRIPT;
  if (asNobody) {
    script = path.join(readable, 'system-packages.sh');
    await copyFile(SCRIPT, script);
  }
  const [file, args] =
    asNobody && process.getuid?.() === 0
      ? ['setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', BASH, script]]
      : [BASH, [script]];
  try {
    const { stdout, stderr } = await run(file, args, { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

describe('test/setup/system-packages.sh (npm test runs it first)', () => {
  let dir: string;
  let missingList: string;
  let presentList: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'system-packages-'));
    // Readable by `nobody`.
    await chmod(dir, 0o755);
    missingList = path.join(dir, 'missing.txt');
    await writeFile(missingList, '# a comment line\n\nbash  bash\nno-such-command-here  no-such-package  # never installed\n');
    presentList = path.join(dir, 'present.txt');
    await writeFile(presentList, 'bash  bash\n');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('does nothing and says nothing when every command is there', async () => {
    expect(await installer(presentList)).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('passes on this machine with the real list (chromium, redis-server)', async () => {
    expect(await installer(new URL('setup/system-packages.txt', import.meta.url).pathname)).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('stops a user who is not root with one line naming the exact command, installing nothing', async () => {
    const outcome = await installer(missingList, { asNobody: true, readable: dir });
    expect(outcome.code).toBe(1);
    expect(outcome.stdout).toBe('');
    expect(outcome.stderr).toBe(
      'The tests need no-such-package: as root, run `apt-get update && apt-get install -y no-such-package`, then npm test again.\n',
    );
  });

  it('stops with one line naming the packages when the machine has no apt-get', async () => {
    // Only shell builtins run before the apt-get check, so an empty PATH is a machine without apt.
    const outcome = await installer(missingList, { PATH: path.join(dir, 'empty-bin') });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toBe(
      'The tests need bash no-such-package (Debian packages) and this machine has no apt-get: install them, then run npm test again.\n',
    );
  });

  it('passes in a checkout under a directory `nobody` cannot enter (a clone in a 0700 home)', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'home-0700-'));
    try {
      await chmod(home, 0o700);
      const checkout = path.join(home, 'media-service');
      await rename(await freshCheckout(), checkout);
      await symlink(path.join(projectRoot, 'node_modules'), path.join(checkout, 'node_modules'));
      // Only the test that runs the installer as `nobody` (the whole file would run this one again).
      const vitest = path.join(projectRoot, 'node_modules/vitest/vitest.mjs');
      const nested = await run(
        process.execPath,
        [vitest, 'run', '--root', checkout, 'test/system-packages.test.ts', '-t', 'stops a user'],
        {
          cwd: checkout,
          env: { ...process.env, CI: '1' },
        },
      ).then(
        () => 0,
        (error: { code: number; stdout: string }) => {
          console.error(error.stdout);
          return error.code;
        },
      );
      expect(nested).toBe(0);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  }, 60_000);
});
