import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { tempRoot } from './helpers/app.ts';
import { runChatBurst } from './helpers/chat-burst.ts';
import { startServiceProcess, type ServiceProcess } from './helpers/process.ts';

describe('a chat burst', () => {
  let service: ServiceProcess | undefined;
  let root: string | undefined;
  afterAll(async () => {
    await service?.stop('SIGKILL');
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('leaves /healthz and a quiet room answering within 1 s while 200 clients send 20 messages each', async () => {
    root = await tempRoot();
    // The default config, as the service runs with no config file; its own process, so its event loop is its own.
    service = await startServiceProcess({ UPLOAD_DIR: root, HOST: '127.0.0.1' });
    const figures = await runChatBurst(service.url, { clients: 200, messagesEach: 20, timeoutMs: 60_000 });
    expect(figures.healthzMs.length).toBeGreaterThan(0);
    expect(Math.max(...figures.healthzMs)).toBeLessThan(1000);
    expect(figures.quietMs.length).toBeGreaterThan(0);
    expect(Math.max(...figures.quietMs)).toBeLessThan(1000);
    // Every burst client got an answer to each of its messages: a delivery or an error event.
    expect(figures.burstMs).toBeLessThan(60_000);
  }, 120_000);
});
