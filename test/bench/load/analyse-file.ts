// One file analysed in this process's main thread, as one analysis pool thread does it (the
// built dist/ code). Prints {audioSeconds, threadCpuSeconds, peakRssBytes} as JSON.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const { file } = JSON.parse(process.argv[2] ?? '{}') as { file?: string };
if (!file) throw new Error('usage: analyse-file.ts \'{"file": "<file.mp3|file.wav>"}\'');
const worker = new URL('../../../dist/analysis/analysis.worker.js', import.meta.url).href;
const { default: analyse } = (await import(worker)) as typeof import('../../../src/analysis/analysis.worker.ts');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'analyse-file-'));
try {
  const before = process.threadCpuUsage();
  const outcome = await analyse({
    source: { file },
    extension: path.extname(file),
    peaksFile: path.join(scratch, 'peaks.dat'),
    samplesPerPixel: 256,
  });
  const spent = process.threadCpuUsage(before);
  if (!outcome.ok) throw new Error(`analysis failed: ${outcome.reason}`);
  const threadCpuSeconds = (spent.user + spent.system) / 1e6;
  process.stdout.write(
    `${JSON.stringify({ audioSeconds: outcome.durationSeconds, threadCpuSeconds, peakRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`,
  );
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
