import { execFileSync } from 'node:child_process';
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempRoot } from '../helpers/app.ts';
import { fixture, sha256 } from '../helpers/media.ts';
import { startServiceProcess, type ServiceProcess } from '../helpers/process.ts';

/** Writes into `file` until the filesystem answers ENOSPC. */
async function fill(file: string): Promise<void> {
  const handle = await open(file, 'w');
  const chunk = Buffer.alloc(16 * 1024, 1);
  try {
    for (;;) await handle.write(chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    await handle.close();
  }
}

// A real full filesystem: a 2 MiB tmpfs (the tests run as root), under a real service process.
describe('an index write error in the JSON log', () => {
  let mount: string;
  let service: ServiceProcess | undefined;
  beforeAll(async () => {
    mount = await tempRoot('index-log-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mount]);
  });
  afterAll(async () => {
    await service?.stop('SIGKILL');
    execFileSync('umount', [mount]);
    await rm(mount, { recursive: true, force: true });
  });

  it('is one JSON line with the error serialised, never a raw multi-line stack on stdout', async () => {
    const root = path.join(mount, 'root');
    await mkdir(path.join(root, 'hand'), { recursive: true });
    // Copied in by hand: describing it writes to the index.
    await writeFile(path.join(root, 'hand', 'copied.mp3'), fixture('tone.mp3'));
    service = await startServiceProcess({ UPLOAD_DIR: root, LOG_LEVEL: 'info' });
    let stdout = '';
    service.child.stdout!.on('data', (chunk) => (stdout += chunk));
    await fill(path.join(mount, 'filler'));
    const res = await fetch(`${service.url}/media?directory=hand`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { files: Array<{ sha256: string }> }).files.map((file) => file.sha256)).toEqual([
      sha256(fixture('tone.mp3')),
    ]);
    expect(await service.stop()).toBe(0);
    const lines = stdout.split('\n').filter((line) => line !== '');
    expect(lines.filter((line) => !line.startsWith('{'))).toEqual([]);
    const failed = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === 'metadata index write failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]).toMatchObject({ level: 40, err: { message: 'database or disk is full', errcode: 13 } });
    // Nor on stderr.
    expect(
      service
        .output()
        .split('\n')
        .filter((line) => /^\s+at /.test(line)),
    ).toEqual([]);
  });
});
