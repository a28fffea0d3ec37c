import http from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';
import { waitFor } from './helpers/wait.ts';

interface Answered {
  status: number;
  connection: string | undefined;
  body: string;
  socket: Socket;
  reused: boolean;
}

function get(agent: http.Agent, url: string): Promise<Answered> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode!, connection: res.headers.connection, body, socket: req.socket!, reused: req.reusedSocket }),
      );
    });
    req.on('error', reject);
  });
}

describe('graceful stop of a keep-alive connection', () => {
  let upstream: TestUpstream;
  let service: RunningService;
  let agent: http.Agent;
  let release = () => {};
  const arrived: Array<() => void> = [];
  beforeEach(async () => {
    upstream = await startUpstream((req, res) => {
      if (req.url === '/started') res.writeHead(200, { 'Content-Type': 'text/plain' }).write('head sent, ');
      release = () => res.end('released');
      arrived.shift()?.();
    });
    service = await startService({ server: { shutdownGraceMs: 10_000 }, proxy: { upstreams: { held: upstream.url } } });
    agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  });
  afterEach(async () => {
    agent.destroy();
    await service.close();
    await upstream.close();
  });

  /** Stops the service while `path` is held by the upstream on a reused keep-alive connection, then releases it. */
  async function stopDuring(path: string): Promise<{ answer: Answered; stopped: Promise<void> }> {
    expect((await get(agent, `${service.url}/healthz`)).connection).toBe('keep-alive');
    const upstreamSaw = new Promise<void>((resolve) => arrived.push(resolve));
    const inFlight = get(agent, `${service.url}${path}`);
    await upstreamSaw;
    const stopped = service.stop();
    release();
    const answer = await inFlight;
    expect(answer.reused).toBe(true);
    return { answer, stopped };
  }

  it('answers the request in flight with Connection: close, then closes the connection', async () => {
    const { answer, stopped } = await stopDuring('/proxy/held/x');
    expect(answer).toMatchObject({ status: 200, body: 'released', connection: 'close' });
    await waitFor('the connection closed', () => answer.socket.destroyed);
    await stopped;
  });

  it('closes the connection after an answer that had already started when the stop began', async () => {
    const { answer, stopped } = await stopDuring('/proxy/held/started');
    expect(answer).toMatchObject({ status: 200, body: 'head sent, released' });
    await waitFor('the connection closed', () => answer.socket.destroyed);
    await stopped;
  });
});
