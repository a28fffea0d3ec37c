/**
 * The chat burst of issue 13 against the service in its own process (default config):
 * `node --import tsx test/bench/chat-burst.ts [runs]` prints, per run, /healthz latency, a quiet
 * room's delivery delay (p50/p99/max, ms) and the service's longest event-loop stall.
 */
import { rm } from 'node:fs/promises';
import { tempRoot } from '../helpers/app.ts';
import { percentile, runChatBurst } from '../helpers/chat-burst.ts';
import { startServiceProcess } from '../helpers/process.ts';

const runs = Number(process.argv[2] ?? 1);
const summary = (samples: number[]) => ({
  n: samples.length,
  p50: Math.round(percentile(samples, 0.5)),
  p99: Math.round(percentile(samples, 0.99)),
  max: Math.round(Math.max(...samples)),
});

for (let run = 1; run <= runs; run++) {
  const root = await tempRoot();
  const service = await startServiceProcess({ UPLOAD_DIR: root, HOST: '127.0.0.1' });
  try {
    const figures = await runChatBurst(service.url, { clients: 200, messagesEach: 20, timeoutMs: 60_000 });
    console.log(
      JSON.stringify({
        run,
        healthzMs: summary(figures.healthzMs),
        quietRoomMs: summary(figures.quietMs),
        serverLagMaxMs: Math.round(figures.serverLagMaxMs),
        burstMs: figures.burstMs,
      }),
    );
  } finally {
    await service.stop('SIGTERM');
    await rm(root, { recursive: true, force: true });
  }
}
