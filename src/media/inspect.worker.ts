import { fileTypeFromBuffer, fileTypeFromFile } from 'file-type';
import { runBelowEventLoop } from '../pool-thread-priority.ts';
import type { ByteSource } from '../storage/byte-store.ts';
import { readAudioMetadata } from './audio-metadata.ts';
import type { AudioMetadata } from './stored-file.ts';

export interface InspectTask {
  source: ByteSource;
  /** Lower-cased extension with its dot. */
  extension: string;
  /** Refuse content whose magic bytes are not of the extension's format. */
  verifyContent: boolean;
}

export type Inspection = { ok: true; metadata: AudioMetadata | null } | { ok: false; problem: string };

runBelowEventLoop();

/**
 * Runs in a pool thread: the media rules for bytes staged or stored. The content is judged by
 * its magic bytes (file-type) before anything else, then the audio metadata is read
 * (music-metadata): from memory, or from a file with random access (a few reads, not a pass).
 */
export default async function inspect({ source, extension, verifyContent }: InspectTask): Promise<Inspection> {
  const input = 'bytes' in source ? source.bytes : source.file;
  if (verifyContent) {
    const detected = typeof input === 'string' ? await fileTypeFromFile(input) : await fileTypeFromBuffer(input);
    if (!detected || `.${detected.ext}` !== extension) {
      const seen = detected ? `${detected.mime} content` : 'unrecognised content';
      return { ok: false, problem: `${seen} is not ${extension}` };
    }
  }
  return { ok: true, metadata: await readAudioMetadata(input, extension) };
}

/** Readiness probe. */
export function ping(): string {
  return 'pong';
}
