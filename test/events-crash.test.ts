import { randomInt } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempRoot } from './helpers/app.ts';
import { uniqueMp3 } from './helpers/media.ts';
import { startServiceProcess, type ServiceProcess } from './helpers/process.ts';
import { waitFor } from './helpers/wait.ts';
import { startReceiver, webhookSecret } from './helpers/webhook-receiver.ts';

const UPLOADS = 200;
const CONCURRENCY = 8;
const KILLS = 5;

interface LoggedEvent {
  id: string;
  type: string;
  data: { directory: string; filename: string };
}

const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

/** Every event of the log, page by page. */
async function allEvents(url: string): Promise<LoggedEvent[]> {
  const events: LoggedEvent[] = [];
  let after: string | undefined;
  do {
    const answer = await fetch(`${url}/events${after ? `?after=${after}` : ''}`);
    const page = (await answer.json()) as { events: LoggedEvent[]; nextAfter?: string };
    events.push(...page.events);
    after = page.nextAfter;
  } while (after);
  return events;
}

async function storedNames(url: string): Promise<string[]> {
  const answer = await fetch(`${url}/media?directory=crash&limit=1000`);
  const page = (await answer.json()) as { files: Array<{ filename: string }> };
  return page.files.map((file) => file.filename);
}

// Five kills and six starts of a real service: under a loaded CI machine that takes more than the default.
describe('events across SIGKILL', { timeout: 120_000 }, () => {
  it('gives every stored file exactly one media.created id, and no id to a file not stored, when the service is killed during 200 uploads', async () => {
    const root = await tempRoot('events-crash-');
    cleanup.push(() => rm(root, { recursive: true, force: true }));
    const secret = webhookSecret();
    const receiver = await startReceiver(secret);
    cleanup.push(() => receiver.close());
    const configFile = path.join(root, 'config.json');
    await writeFile(
      configFile,
      JSON.stringify({ events: { webhooks: [{ url: receiver.url, secret }], retryDelayMs: 50 }, media: { poolSize: 2 } }),
    );
    const env = { UPLOAD_DIR: path.join(root, 'store'), CONFIG_FILE: configFile };
    let service: ServiceProcess = await startServiceProcess(env);
    cleanup.push(() => service.stop('SIGKILL'));

    const answered = new Map<string, number>();
    let next = 0;
    const client = async () => {
      while (next < UPLOADS) {
        const filename = `f${next++}.mp3`;
        const form = new FormData();
        form.append('directory', 'crash');
        form.append('file', new Blob([new Uint8Array(uniqueMp3(filename))]), filename);
        const status = await fetch(`${service.url}/media`, { method: 'POST', body: form }).then(
          (answer) => answer.status,
          () => 0,
        );
        answered.set(filename, status);
      }
    };
    const killer = async () => {
      for (let kill = 0; kill < KILLS; kill++) {
        // A random moment among the uploads still to come.
        const at = answered.size + randomInt(5, Math.max(6, Math.floor((UPLOADS - answered.size) / (KILLS - kill))));
        await waitFor('uploads to reach the kill', () => answered.size >= at || next >= UPLOADS, 20_000, 2);
        await service.stop('SIGKILL');
        service = await startServiceProcess(env);
      }
    };
    await Promise.all([killer(), ...Array.from({ length: CONCURRENCY }, client)]);
    // The last restart settles whatever the last kill interrupted.
    await service.stop('SIGKILL');
    service = await startServiceProcess(env);

    const stored = new Set(await storedNames(service.url));
    const events = await allEvents(service.url);
    const created = new Map<string, string[]>();
    for (const event of events.filter((one) => one.type === 'media.created')) {
      created.set(event.data.filename, [...(created.get(event.data.filename) ?? []), event.id]);
    }
    for (const [filename, status] of answered) if (status === 200) expect(stored.has(filename), filename).toBe(true);
    for (const filename of stored) expect(created.get(filename), filename).toHaveLength(1);
    for (const filename of created.keys()) expect(stored.has(filename), filename).toBe(true);
    expect([...answered.values()].filter((status) => status !== 200).length).toBeGreaterThan(0);

    // Every recorded event reaches the receiver after the restarts, and nothing else does.
    const ids = new Set(events.map((event) => event.id));
    await waitFor('every event delivered', () => ids.size === new Set(receiver.delivered()).size, 10_000);
    expect(new Set(receiver.delivered())).toEqual(ids);
    expect(receiver.unverified).toEqual([]);
  });
});
