import { makeRow } from '../lib/results.ts';
import { smallUploads } from '../lib/small-uploads.ts';
import type { Scenario } from './scenario.ts';

/**
 * Event-loop lag inside the service (perf_hooks.monitorEventLoopDelay, through the opt-in probe
 * of src/diagnostics.ts) during the small multipart runs with fsync on: the same runs, not new ones.
 */
export const eventLoopLag: Scenario = {
  name: 'event-loop lag during small multipart',
  module: 'media',
  async run(ctx) {
    const { multipartFsync: service } = await smallUploads(ctx);
    const backgroundCpuPct = service.median.backgroundCpuPct;
    return [
      makeRow({
        scenario: this.name,
        figure: 'p99 event-loop delay, fsync on',
        unit: 'ms',
        value: service.median.lagP99Ms,
        runs: service.runs.map((run) => run.lagP99Ms),
        target: { atMost: 20 },
        backgroundCpuPct,
        discardedRuns: service.discarded,
      }),
      makeRow({
        scenario: this.name,
        figure: 'max event-loop delay, fsync on',
        unit: 'ms',
        value: service.median.lagMaxMs,
        runs: service.runs.map((run) => run.lagMaxMs),
        target: { report: true },
        backgroundCpuPct,
        discardedRuns: service.discarded,
      }),
    ];
  },
};
