import { randomBytes } from 'node:crypto';
import { cp, open, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS_DIR } from '../src/events/events.ts';
import { EVENT_LOG_FILE } from '../src/events/event-log-keeper.ts';
import { tempRoot, type LogLine } from './helpers/app.ts';
import { multipartBody, uniqueMp3 } from './helpers/media.ts';
import { startServiceProcess, type ServiceProcess } from './helpers/process.ts';
import { waitFor } from './helpers/wait.ts';
import { startReceiver, webhookSecret, type Receiver } from './helpers/webhook-receiver.ts';

const SEEDED_EVENTS = 40;
const PAGE_BYTES = 4096;
const DAMAGED = 'event log damaged: set aside, a fresh log started';

const logFile = (root: string) => path.join(root, 'store', EVENTS_DIR, EVENT_LOG_FILE);

async function overwrite(file: string, offset: number, length: number): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.write(randomBytes(length), 0, length, offset);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The damages of the index's tests (issue 29), applied to the event log's file. */
const damages: Record<string, (file: string) => Promise<void>> = {
  'random bytes in it': async (file) => overwrite(file, 0, (await stat(file)).size),
  'garbage in its data pages': async (file) => overwrite(file, 2 * PAGE_BYTES, (await stat(file)).size - 2 * PAGE_BYTES),
  'the file cut to half': async (file) => truncate(file, Math.floor((await stat(file)).size / 2 / PAGE_BYTES) * PAGE_BYTES),
};

async function upload(service: ServiceProcess, name: string): Promise<number> {
  const { body, contentType } = multipartBody([
    { name: 'directory', body: 'd' },
    { name: 'file', filename: name, body: uniqueMp3(name) },
  ]);
  return (await fetch(`${service.url}/media`, { method: 'POST', body, headers: { 'Content-Type': contentType } })).status;
}

async function loggedEvents(service: ServiceProcess): Promise<Array<{ id: string; data: { filename: string } }>> {
  const answer = await fetch(`${service.url}/events`);
  return ((await answer.json()) as { events: Array<{ id: string; data: { filename: string } }> }).events;
}

function errorLines(service: ServiceProcess): LogLine[] {
  return service
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine)
    .filter((line) => line.level >= 50 && !('req' in line));
}

const damagedCount = async (service: ServiceProcess) =>
  Number(/^media_event_log_damaged_total (\d+)$/m.exec(await (await fetch(`${service.url}/metrics`)).text())?.[1]);

describe('local backend: a damaged event log', () => {
  const secret = webhookSecret();
  let receiver: Receiver;
  let seeded: string;
  const roots: string[] = [];
  const running: ServiceProcess[] = [];

  async function serve(root: string): Promise<ServiceProcess> {
    const service = await startServiceProcess({ UPLOAD_DIR: path.join(root, 'store'), CONFIG_FILE: path.join(root, 'config.json') });
    running.push(service);
    return service;
  }

  /** A root whose event log holds SEEDED_EVENTS events, all delivered, checkpointed into its file by a clean stop. */
  async function seededCopy(): Promise<string> {
    const root = await tempRoot('events-damage-');
    roots.push(root);
    await cp(seeded, root, { recursive: true });
    return root;
  }

  beforeAll(async () => {
    receiver = await startReceiver(secret);
    seeded = await tempRoot('events-damage-seed-');
    roots.push(seeded);
    await writeFile(path.join(seeded, 'config.json'), JSON.stringify({ events: { webhooks: [{ url: receiver.url, secret }] } }));
    const service = await serve(seeded);
    for (let i = 0; i < SEEDED_EVENTS; i++) expect(await upload(service, `seed-${i}.mp3`)).toBe(200);
    await waitFor('the seeded events delivered', () => receiver.delivered().length === SEEDED_EVENTS, 10_000);
    expect(await service.stop()).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(running.map((service) => service.stop('SIGKILL')));
    await receiver?.close();
    await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
  });

  /** Uploads go on being answered 200 with their events recorded and delivered; the log was set aside once, kept, logged once, counted. */
  async function expectFreshLog(service: ServiceProcess, root: string, tag: string): Promise<void> {
    for (let i = 0; i < 3; i++) expect(await upload(service, `${tag}-${i}.mp3`)).toBe(200);
    const events = await loggedEvents(service);
    expect(events.map((event) => event.data.filename)).toEqual([0, 1, 2].map((i) => `${tag}-${i}.mp3`));
    await waitFor('the new events delivered', () => events.every((event) => receiver.delivered().includes(event.id)), 10_000);
    expect(await damagedCount(service)).toBe(1);
    const kept = (await readdir(path.join(root, 'store'))).filter((name) => name.startsWith(`${EVENTS_DIR}-damaged-`));
    expect(kept).toHaveLength(1);
    expect(await readdir(path.join(root, 'store', kept[0]!))).toContain(EVENT_LOG_FILE);
    const code = await service.stop();
    // A stop that fails says by which signal, with the service's last words (a Node abort was found so).
    expect(code, `signal ${service.child.signalCode}; output ends: ${service.output().slice(-3000)}`).toBe(0);
    expect(service.child.signalCode).toBeNull();
    expect(errorLines(service).map((line) => line.msg)).toEqual([DAMAGED]);
    expect(errorLines(service)[0]!.keptAt).toBe(path.join(root, 'store', kept[0]!));
  }

  for (const damage of ['garbage in its data pages', 'the file cut to half']) {
    it(`meets ${damage} while running: sets it aside once, starts a fresh log, the uploads and their events go on`, async () => {
      const root = await seededCopy();
      const service = await serve(root);
      expect(await loggedEvents(service)).toHaveLength(SEEDED_EVENTS);
      await damages[damage]!(logFile(root));
      await expectFreshLog(service, root, damage.split(' ')[0]!);
    });
  }

  for (const damage of ['random bytes in it', 'garbage in its data pages']) {
    it(`starts on a log with ${damage}: sets it aside at start, starts a fresh log`, async () => {
      const root = await seededCopy();
      await damages[damage]!(logFile(root));
      const service = await serve(root);
      await expectFreshLog(service, root, `start-${damage.split(' ')[0]!}`);
    });
  }
});
