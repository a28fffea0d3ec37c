import { makeRow, type ResultRow } from '../lib/results.ts';
import { smallUploads } from '../lib/small-uploads.ts';
import type { Scenario } from './scenario.ts';

/** 64 KiB .mp3 multipart uploads, unique names, c=32: uploads/s and latency, fsync on and off. */
export const smallMultipart: Scenario = {
  name: 'small multipart 64 KiB c=32',
  module: 'media',
  async run(ctx) {
    const { raw, floor, multipartFsync, multipartNoFsync } = await smallUploads(ctx);
    const rows: ResultRow[] = [];
    for (const [service, fsync] of [[multipartFsync, true], [multipartNoFsync, false]] as const) {
      const when = `fsync ${fsync ? 'on' : 'off'}`;
      const backgroundCpuPct = service.median.backgroundCpuPct;
      rows.push(
        makeRow({
          scenario: this.name,
          figure: `uploads/s, ${when}`,
          unit: 'req/s',
          value: service.median.reqPerSec,
          runs: service.runs.map((run) => run.reqPerSec),
          baseline: { name: 'raw node:http', value: raw.median.reqPerSec },
          target: { ratioAtLeast: fsync ? 0.6 : 0.8 },
          backgroundCpuPct,
          discardedRuns: service.discarded,
        }),
      );
      for (const [figure, key] of [['p50', 'p50Ms'], ['p99', 'p99Ms']] as const) {
        rows.push(
          makeRow({
            scenario: this.name,
            figure: `latency ${figure}, ${when}`,
            unit: 'ms',
            value: service.median[key],
            runs: service.runs.map((run) => run[key]),
            baseline: { name: 'raw node:http', value: raw.median[key] },
            target: { report: true },
            backgroundCpuPct,
          discardedRuns: service.discarded,
          }),
        );
      }
    }
    // What the framework alone reaches: the ceiling for any Express + multer service here.
    rows.push(
      makeRow({
        scenario: this.name,
        figure: 'uploads/s, Express 5 + multer alone (diagnostic)',
        unit: 'req/s',
        value: floor.median.reqPerSec,
        runs: floor.runs.map((run) => run.reqPerSec),
        baseline: { name: 'raw node:http', value: raw.median.reqPerSec },
        target: { report: true },
        backgroundCpuPct: floor.median.backgroundCpuPct,
        discardedRuns: floor.discarded,
      }),
    );
    return rows;
  },
};
