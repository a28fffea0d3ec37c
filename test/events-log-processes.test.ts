import { randomBytes } from 'node:crypto';
import { open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS_DIR } from '../src/events/events.ts';
import { EVENT_LOG_FILE } from '../src/events/event-log-keeper.ts';
import { tempRoot, type LogLine } from './helpers/app.ts';
import { multipartBody, uniqueMp3 } from './helpers/media.ts';
import { startServiceProcess, type ServiceProcess } from './helpers/process.ts';
import { waitFor } from './helpers/wait.ts';
import { startReceiver, webhookSecret, type Receiver } from './helpers/webhook-receiver.ts';

const PER_PROCESS = 20;
const CONCURRENCY = 4;
const PAGE_BYTES = 4096;

async function upload(service: ServiceProcess, name: string): Promise<number> {
  const { body, contentType } = multipartBody([
    { name: 'directory', body: 'shared' },
    { name: 'file', filename: name, body: uniqueMp3(name) },
  ]);
  return (await fetch(`${service.url}/media`, { method: 'POST', body, headers: { 'Content-Type': contentType } })).status;
}

async function eventIds(service: ServiceProcess): Promise<string[]> {
  const answer = await fetch(`${service.url}/events`);
  return ((await answer.json()) as { events: Array<{ id: string }> }).events.map((event) => event.id);
}

function damageLines(service: ServiceProcess): LogLine[] {
  return service
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine)
    .filter((line) => line.msg === 'event log damaged: set aside, a fresh log started');
}

// Two service processes on one storage root share its event log file, as `server.workers` do.
describe('one event log shared by two processes of a host', () => {
  const secret = webhookSecret();
  let receiver: Receiver;
  let root: string;
  let env: Record<string, string>;
  const services: ServiceProcess[] = [];

  beforeAll(async () => {
    receiver = await startReceiver(secret);
    root = await tempRoot('events-processes-');
    await writeFile(path.join(root, 'config.json'), JSON.stringify({ events: { webhooks: [{ url: receiver.url, secret }] } }));
    env = { UPLOAD_DIR: path.join(root, 'store'), CONFIG_FILE: path.join(root, 'config.json') };
    services.push(await startServiceProcess(env));
    services.push(await startServiceProcess(env));
  });

  afterAll(async () => {
    await Promise.all(services.map((service) => service.stop('SIGKILL')));
    await receiver?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('records the uploads of both at once, each event listed by both and delivered once', async () => {
    const statuses: number[] = [];
    await Promise.all(
      services.flatMap((service, s) =>
        Array.from({ length: CONCURRENCY }, async (_, c) => {
          for (let i = c; i < PER_PROCESS; i += CONCURRENCY) statuses.push(await upload(service, `p${s}-${i}.mp3`));
        }),
      ),
    );
    expect(statuses).toEqual(Array(2 * PER_PROCESS).fill(200));
    const ids = await eventIds(services[0]!);
    expect(ids).toHaveLength(2 * PER_PROCESS);
    expect(await eventIds(services[1]!)).toEqual(ids);
    await waitFor('every event delivered', () => receiver.delivered().length >= ids.length, 10_000);
    expect(receiver.delivered().sort()).toEqual([...ids].sort());
  });

  it('goes on in the fresh log together when one of them met the damage and set it aside', async () => {
    const file = path.join(root, 'store', EVENTS_DIR, EVENT_LOG_FILE);
    // Both stopped cleanly: the last close checkpoints the WAL, so the events are in the file's pages when they are damaged.
    expect(await Promise.all(services.map((service) => service.stop()))).toEqual([0, 0]);
    for (let s = 0; s < services.length; s++) services[s] = await startServiceProcess(env);
    const size = (await stat(file)).size;
    const handle = await open(file, 'r+');
    await handle.write(randomBytes(size - 2 * PAGE_BYTES), 0, size - 2 * PAGE_BYTES, 2 * PAGE_BYTES);
    await handle.close();
    expect(await upload(services[0]!, 'after-0.mp3')).toBe(200);
    expect(await upload(services[1]!, 'after-1.mp3')).toBe(200);
    const ids = await eventIds(services[1]!);
    expect(ids).toHaveLength(2);
    expect(await eventIds(services[0]!)).toEqual(ids);
    await waitFor('the new events delivered', () => ids.every((id) => receiver.delivered().includes(id)), 10_000);
    const kept = (await readdir(path.join(root, 'store'))).filter((name) => name.startsWith(`${EVENTS_DIR}-damaged-`));
    expect(kept).toHaveLength(1);
    expect(services.flatMap(damageLines)).toHaveLength(1);
  });
});
