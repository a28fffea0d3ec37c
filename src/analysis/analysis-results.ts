import type { Readable } from 'node:stream';
import type { ObjectKey } from '../storage/byte-store.ts';
import type { AnalysisRecord } from './analysis-record.ts';

/**
 * Where a backend keeps analysis results: a record and the peaks of each file, derivatives kept
 * with the file's store (so every host serves them), never listed as media, removed with the file.
 */
export interface AnalysisResults {
  /** A fresh local path where a worker may write a file's peaks before they are saved. */
  workFile(): Promise<string>;
  /** Keeps the record and (when done) the peaks written at `peaksFile`, which is consumed. */
  save(key: ObjectKey, record: AnalysisRecord, peaksFile?: string): Promise<void>;
  /** The record of a file; undefined when there is none. */
  record(key: ObjectKey): Promise<AnalysisRecord | undefined>;
  /** The stored peaks (audiowaveform binary format), streamed; undefined when there are none. The caller destroys the stream. */
  peaks(key: ObjectKey): Promise<Readable | undefined>;
  /** Drops a file's record and peaks (safe when there are none). */
  remove(key: ObjectKey): Promise<void>;
  /** Lets go of connections. */
  close?(): void;
}
