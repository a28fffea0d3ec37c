import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { audioFiles } from '../lib/audio-files.ts';
import type { BenchContext } from '../lib/context.ts';
import { measureLoad, warmUp, type LoadShape } from '../lib/load.ts';
import { runLoad } from '../lib/processes.ts';
import { makeRow, type ResultRow } from '../lib/results.ts';
import { startService } from '../lib/service.ts';
import { SMALL_CONNECTIONS, SMALL_SIZE } from '../lib/small-uploads.ts';
import type { Scenario } from './scenario.ts';

interface Analysed {
  audioSeconds: number;
  threadCpuSeconds: number;
  peakRssBytes: number;
}

const analyse = (file: string) => runLoad<Analysed>('load/analyse-file.ts', { file });

const SMALL: LoadShape = { connections: SMALL_CONNECTIONS, request: { kind: 'multipart-upload', size: SMALL_SIZE }, expectStatus: 200 };

/**
 * Issue 26: analysis speed (seconds of audio per second of one thread's CPU), peak RSS of a
 * 60-minute file, and 64 KiB uploads/s while the analysis pool works through an hour of audio
 * (and every upload), against the same service with analysis off.
 */
export const audioAnalysis: Scenario = {
  name: 'audio analysis',
  module: 'media',
  async run(ctx) {
    const files = await audioFiles(ctx);
    const figures = await ctx.interleave<{
      mp3: { speed: number; rssMiB: number };
      wav: { speed: number; rssMiB: number };
      hour: { rssMiB: number };
    }>('audio analysis', {
      mp3: async () => figuresOf(await analyse(files.mp3)),
      wav: async () => figuresOf(await analyse(files.wav)),
      hour: async () => ({ rssMiB: figuresOf(await analyse(files.hourMp3)).rssMiB }),
    });
    const uploads = await ctx.interleave<{
      with: { reqPerSec: number; backgroundCpuPct: number };
      without: { reqPerSec: number; backgroundCpuPct: number };
    }>('64 KiB uploads, analysis on/off', {
      with: () => uploadsPerSec(ctx, true, files.hourMp3),
      without: () => uploadsPerSec(ctx, false, files.hourMp3),
    });
    const rows: ResultRow[] = [];
    for (const [kind, label] of [
      ['mp3', '128 kbps stereo MP3'],
      ['wav', '44.1 kHz stereo WAV'],
    ] as const) {
      rows.push(
        makeRow({
          scenario: this.name,
          figure: `x real time per thread, ${label}`,
          unit: 'x',
          value: figures[kind].median.speed,
          runs: figures[kind].runs.map((run) => run.speed),
          target: { atLeast: 100 },
        }),
      );
    }
    // Memory does not grow with the length: an hour costs what 5 minutes cost (the rest is Node itself).
    rows.push(
      makeRow({
        scenario: this.name,
        figure: 'peak RSS analysing a 60-minute MP3 (whole process)',
        unit: 'MiB',
        value: figures.hour.median.rssMiB,
        runs: figures.hour.runs.map((run) => run.rssMiB),
        baseline: { name: 'the 5-minute MP3', value: figures.mp3.median.rssMiB },
        target: { ratioAtMost: 1.1 },
      }),
    );
    rows.push(
      makeRow({
        scenario: this.name,
        figure: 'uploads/s 64 KiB c=32 while analysis runs',
        unit: 'req/s',
        value: uploads.with.median.reqPerSec,
        runs: uploads.with.runs.map((run) => run.reqPerSec),
        baseline: { name: 'analysis off', value: uploads.without.median.reqPerSec },
        target: { ratioAtLeast: 0.9 },
        backgroundCpuPct: uploads.with.median.backgroundCpuPct,
        discardedRuns: uploads.with.discarded,
      }),
    );
    return rows;
  },
};

const figuresOf = ({ audioSeconds, threadCpuSeconds, peakRssBytes }: Analysed) => ({
  speed: audioSeconds / threadCpuSeconds,
  rssMiB: peakRssBytes / 2 ** 20,
});

/** One service run; with analysis on, an hour of MP3 lies in the root to be found by the start-up scan. */
async function uploadsPerSec(ctx: BenchContext, analysis: boolean, hourMp3: string) {
  const root = ctx.freshDir(`analysis-${analysis ? 'on' : 'off'}`);
  copyFileSync(hourMp3, path.join(root, 'hour.mp3'));
  const service = await startService({ root, config: { analysis: { enabled: analysis } } });
  try {
    await warmUp(ctx, service, SMALL);
    const load = await measureLoad(ctx, service, SMALL, `64 KiB uploads, analysis ${analysis ? 'on' : 'off'}`);
    return { reqPerSec: load.reqPerSec, backgroundCpuPct: load.backgroundCpuPct };
  } finally {
    await service.stop();
  }
}
