import { spawn } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startService } from './helpers/app.ts';
import { uniqueMp3 } from './helpers/media.ts';
import { exitOf, freePort, projectRoot } from './helpers/process.ts';
import { runnableBlocks } from './helpers/readme.ts';
import { upload } from './helpers/upload.ts';
import { waitFor } from './helpers/wait.ts';
import { webhookSecret } from './helpers/webhook-receiver.ts';

const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

describe('the README receiver (## Events), as written', () => {
  it('verifies and prints each delivery once, and answers 400 to a bad signature', async () => {
    const [receiver] = runnableBlocks('## Events');
    expect(receiver?.lang).toBe('js');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'readme-events-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    await symlink(path.join(projectRoot, 'node_modules'), path.join(dir, 'node_modules'));
    await writeFile(path.join(dir, 'receiver.mjs'), receiver!.body);
    const secret = webhookSecret();
    const port = await freePort();
    const child = spawn(process.execPath, ['receiver.mjs'], {
      cwd: dir,
      env: { PATH: process.env.PATH, WEBHOOK_SECRET: secret, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanup.push(() => (child.kill('SIGKILL'), exitOf(child)));
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    await waitFor('the receiver to listen', () =>
      fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{}' }).then(
        () => true,
        () => false,
      ),
    );

    const service = await startService({ events: { webhooks: [{ url: `http://127.0.0.1:${port}/`, secret }] } } as never);
    cleanup.push(() => service.close());
    expect((await upload(service.url, 'multipart', { directory: 'songs', filename: 'a.mp3', bytes: uniqueMp3('a') })).status).toBe(200);
    await waitFor('the printed event', () => /^evt_\S+ media\.created songs a\.mp3$/m.test(output));
    const forged = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: { 'webhook-id': 'evt_x', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' },
      body: '{"type":"media.created"}',
    });
    expect(forged.status).toBe(400);
    expect(output.trim().split('\n')).toHaveLength(1);
  });
});
