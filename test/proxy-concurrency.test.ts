import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { send, startUpstream, type TestUpstream } from './helpers/upstream.ts';

const CONCURRENT = 100;
const UPSTREAM_DELAY_MS = 200;

describe('proxy concurrency', () => {
  let upstream: TestUpstream;
  let service: RunningService;
  const timers = new Set<NodeJS.Timeout>();

  beforeAll(async () => {
    upstream = await startUpstream((req, res: http.ServerResponse) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        res.end(req.url);
      }, UPSTREAM_DELAY_MS);
      timers.add(timer);
    });
    service = await startService({ proxy: { upstreams: { slow: upstream.url } } });
  });
  afterAll(async () => {
    for (const timer of timers) clearTimeout(timer);
    await service.close();
    await upstream.close();
  });

  // Serialised, 100 answers of 200 ms take 20 s; concurrent, about 200 ms. 2 s is a loose bound.
  it(`answers ${CONCURRENT} concurrent requests to a ${UPSTREAM_DELAY_MS} ms upstream in well under 2 s`, async () => {
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: CONCURRENT }, (_, i) => send(service.url, { path: `/proxy/slow/request-${i}` })),
    );
    const elapsedMs = performance.now() - started;
    expect(answers.map((answer) => answer.status)).toEqual(Array(CONCURRENT).fill(200));
    expect(answers.map((answer) => answer.body.toString())).toEqual(answers.map((_, i) => `/request-${i}`));
    expect(elapsedMs).toBeLessThan(2000);
  });
});
