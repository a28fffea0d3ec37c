import type { Readable } from 'node:stream';
import type { ByteRange } from '../storage/byte-store.ts';
import type { AnalysisStatus } from '../analysis/analysis-record.ts';

/** What the audio parser found; fields it could not read are absent. */
export interface AudioMetadata {
  durationSeconds?: number;
  bitrate?: number;
  sampleRate?: number;
  channels?: number;
  codec?: string;
  title?: string;
  artist?: string;
  /** Waveform and loudness analysis of the file (pending until it has run); absent for files not analysed. */
  analysis?: AnalysisStatus['analysis'];
  /** EBU R128 loudness, once `analysis` is `done`. */
  loudness?: Extract<AnalysisStatus, { analysis: 'done' }>['loudness'];
}

/** What the media rules attach to a stored file (the store keeps it in its index). */
export interface MediaAttributes {
  contentType: string;
  /** Null when the content passed the format check but its metadata could not be parsed. */
  metadata: AudioMetadata | null;
}

/** A file as stored: what the API reports for it. */
export interface StoredFile extends MediaAttributes {
  directory: string;
  filename: string;
  size: number;
  sha256: string;
}

/** A stored file as the read side sees it. */
export interface StoredEntry extends StoredFile {
  modified: Date;
}

/** A stored file ready to be read. */
export interface OpenedMedia extends StoredEntry {
  /** The bytes, streamed: the whole file, or one range of it. */
  read(range?: ByteRange): Promise<Readable>;
  /** Lets go of the open file when its bytes are not read (HEAD, 304, an error answer). */
  release(): Promise<void>;
}

/** One page of a directory. */
export interface MediaPage {
  /** Files in byte order of their UTF-8 names. */
  files: StoredEntry[];
  /** Subdirectory names, in the same order (all of them, not paged). */
  directories: string[];
  /** Set when more files follow: pass it as `after` for the next page. */
  nextAfter?: string;
}
