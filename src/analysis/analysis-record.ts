import type { Loudness } from './loudness-meter.ts';

/** What analysis found for one version of a file (stored beside its peaks). */
export type AnalysisRecord =
  | {
      state: 'done';
      /** The sha256 of the bytes analysed: a record of other bytes is stale. */
      sha256: string;
      durationSeconds: number;
      sampleRate: number;
      channels: number;
      loudness: Loudness;
    }
  | { state: 'failed'; sha256: string; reason: string };

/** The analysis fields a file's `metadata` carries. */
export type AnalysisStatus = { analysis: 'pending' } | { analysis: 'failed' } | { analysis: 'done'; loudness: Loudness };

export function statusOf(record: AnalysisRecord | undefined, sha256: string): AnalysisStatus {
  if (!record || record.sha256 !== sha256) return { analysis: 'pending' };
  return record.state === 'done' ? { analysis: 'done', loudness: record.loudness } : { analysis: 'failed' };
}
