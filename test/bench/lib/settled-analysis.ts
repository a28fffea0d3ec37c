import { LocalResults } from '../../../src/analysis/local-results.ts';
import { privateArea } from '../../../src/storage/private-area.ts';
import type { ObjectKey } from '../../../src/storage/byte-store.ts';

/**
 * Download runs measure a library whose analysis has finished, as a served library's has: a file
 * with no result would be analysed again by every service the bench starts, and that thread's CPU
 * would count as the downloads'.
 */

/** Waits (at most `timeoutSeconds`) until HEAD of `mediaPath` says its analysis is done or failed. */
export async function analysisSettled(url: string, mediaPath: string, timeoutSeconds = 120): Promise<string> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const state = (await fetch(`${url}${mediaPath}`, { method: 'HEAD' })).headers.get('audio-analysis');
    if (state === 'done' || state === 'failed') return state;
    if (Date.now() > deadline) throw new Error(`analysis of ${mediaPath} still ${state} after ${timeoutSeconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Stores for `repeated`, a file that is `sample`'s audio repeated (the bench's 1 GiB file: the same
 * tone over and over), the record its analysis would write: `sample`'s loudness, its duration
 * scaled by size. Analysing 1 GiB of tone takes minutes of one core, more than a bench run may
 * spend; the downloads read this record exactly as they read one analysis wrote.
 */
export async function recordRepeatedAudio(
  root: string,
  sample: { key: ObjectKey; size: number },
  repeated: { key: ObjectKey; size: number; sha256: string },
): Promise<void> {
  const results = await LocalResults.create({ privateDirectory: (area) => privateArea(root, area) });
  const record = await results.record(sample.key);
  if (record?.state !== 'done') throw new Error(`no finished analysis of ${sample.key.directory}/${sample.key.name}`);
  const durationSeconds = (record.durationSeconds * repeated.size) / sample.size;
  await results.save(repeated.key, { ...record, sha256: repeated.sha256, durationSeconds });
}
