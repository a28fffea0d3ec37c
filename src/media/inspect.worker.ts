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

export interface FirstBytesTask {
  /** The first bytes of a file still arriving. */
  bytes: Uint8Array;
  /** Lower-cased extension with its dot. */
  extension: string;
}

/**
 * The content check of `inspect` on the first bytes of a file still arriving: refuses only what
 * the whole file could not make right. An ID3 tag that ends inside these bytes may leave too
 * little of the audio after it to be recognised here: that is left to the check of the whole file.
 */
export async function judgeFirstBytes({ bytes, extension }: FirstBytesTask): Promise<Inspection> {
  const detected = await fileTypeFromBuffer(bytes);
  if (detected && `.${detected.ext}` === extension) return { ok: true, metadata: null };
  if (!detected && Buffer.from(bytes.buffer, bytes.byteOffset, 3).toString('latin1') === 'ID3') return { ok: true, metadata: null };
  const seen = detected ? `${detected.mime} content` : 'unrecognised content';
  return { ok: false, problem: `${seen} is not ${extension}` };
}

/** Readiness probe. */
export function ping(): string {
  return 'pong';
}
