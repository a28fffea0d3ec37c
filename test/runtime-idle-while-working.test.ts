import { rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { tempRoot } from './helpers/app.ts';
import { sha256 } from './helpers/media.ts';
import { startServiceProcess, type ServiceProcess } from './helpers/process.ts';
import { createUpload, largeMp3, patchUpload } from './helpers/tus.ts';
import { waitFor } from './helpers/wait.ts';

let service: ServiceProcess | undefined;
let root: string | undefined;
afterAll(async () => {
  await service?.stop('SIGKILL');
  if (root) await rm(root, { recursive: true, force: true });
});

/** Resolves when the server closes a connection that was opened and never used. */
function closedByServer(url: string): Promise<void> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.on('error', () => undefined);
    socket.on('close', () => resolve());
  });
}

it('keeps the connection of a request whose whole body arrived while the service works on it longer than the idle timeout', async () => {
  root = await tempRoot();
  const configFile = path.join(root, 'config.json');
  await writeFile(
    configFile,
    JSON.stringify({ server: { idleTimeoutMs: 1000, headersTimeoutMs: 1000 }, storage: { tempMaxAgeMs: 60_000 } }),
  );
  service = await startServiceProcess(
    { UPLOAD_DIR: path.join(root, 'media'), CONFIG_FILE: configFile, MEDIA_PAUSE_POINT: 'staged' },
    60_000,
  );
  const bytes = largeMp3(200_000);
  const location = (await createUpload(service.url, 'idle', 'a.mp3', bytes.length)).headers.get('location')!;

  const final = patchUpload(service.url, location, 0, bytes).catch((error: Error) => error);
  await waitFor('the publish to pause', () => service!.output().includes('paused at staged'), 20_000);
  // The marker: a connection opened after the pause began, silent both ways, is closed by the idle
  // timeout, so the final PATCH's connection has been silent at least as long.
  await closedByServer(service.url);
  service.child.kill('SIGUSR2');

  const answer = await final;
  expect(answer instanceof Error ? answer.message : answer.status).toBe(200);
  const stored = await fetch(`${service.url}/media/idle/a.mp3`);
  expect(sha256(Buffer.from(await stored.arrayBuffer()))).toBe(sha256(bytes));
}, 90_000);
