import { makeRow } from '../lib/results.ts';
import { smallUploads } from '../lib/small-uploads.ts';
import type { Scenario } from './scenario.ts';

/** The same 64 KiB as a percent-encoded urlencoded form, against the seed's urlencoded handler and small multipart (fsync on). */
export const smallUrlencoded: Scenario = {
  name: 'small urlencoded 64 KiB c=32',
  module: 'media',
  async run(ctx) {
    const { multipartFsync: multipart, urlencodedFsync: urlencoded, seedUrlencoded: seed } = await smallUploads(ctx);
    const backgroundCpuPct = urlencoded.median.backgroundCpuPct;
    return [
      makeRow({
        scenario: this.name,
        figure: 'uploads/s, fsync on, vs the seed',
        unit: 'req/s',
        value: urlencoded.median.reqPerSec,
        runs: urlencoded.runs.map((run) => run.reqPerSec),
        baseline: { name: 'seed Tornado urlencoded handler', value: seed.median.reqPerSec },
        target: { ratioAtLeast: 1 },
        backgroundCpuPct,
        discardedRuns: urlencoded.discarded,
      }),
      makeRow({
        scenario: this.name,
        figure: 'uploads/s, fsync on',
        unit: 'req/s',
        value: urlencoded.median.reqPerSec,
        runs: urlencoded.runs.map((run) => run.reqPerSec),
        baseline: { name: 'small multipart', value: multipart.median.reqPerSec },
        target: { ratioAtLeast: 0.5 },
        backgroundCpuPct,
        discardedRuns: urlencoded.discarded,
      }),
      makeRow({
        scenario: this.name,
        figure: 'latency p99, fsync on',
        unit: 'ms',
        value: urlencoded.median.p99Ms,
        runs: urlencoded.runs.map((run) => run.p99Ms),
        target: { report: true },
        backgroundCpuPct,
        discardedRuns: urlencoded.discarded,
      }),
    ];
  },
};
