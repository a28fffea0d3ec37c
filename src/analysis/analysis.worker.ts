import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import { setPriority } from 'node:os';
import type { MessagePort } from 'node:worker_threads';
import type { ByteSource } from '../storage/byte-store.ts';
import { DecodeFailure, type Decoder } from './decoded-audio.ts';
import { LoudnessMeter, type Loudness } from './loudness-meter.ts';
import { decodeMp3 } from './mp3-decoder.ts';
import { PeaksWriter } from './peaks-writer.ts';
import { receiveChunks } from './port-chunks.ts';
import { decodeWav } from './wav-decoder.ts';

/** Where the file's bytes come from: memory, a local file, or a stream sent from the event loop's thread (sendChunks). */
export type AnalysisSource = ByteSource | { readonly port: MessagePort };

export interface AnalysisTask {
  source: AnalysisSource;
  /** Lower-cased extension with its dot. */
  extension: string;
  /** Where the peaks go (audiowaveform binary format); written under a temporary name first. */
  peaksFile: string;
  samplesPerPixel: number;
}

export type AnalysisOutcome =
  { ok: true; durationSeconds: number; sampleRate: number; channels: number; loudness: Loudness } | { ok: false; reason: string };

const decoders: Record<string, Decoder> = { '.wav': decodeWav, '.mp3': decodeMp3 };

// Analysis threads run at the lowest priority (nice 19), below the media pools' threads (nice +10)
// and the event loop: uploads and downloads take the CPU whenever they want it.
if (process.platform === 'linux') setPriority(0, 19);

/** Runs in a pool thread: decodes the file as it is read, computing its peaks and loudness in one pass. */
export default async function analyse({ source, extension, peaksFile, samplesPerPixel }: AnalysisTask): Promise<AnalysisOutcome> {
  const decode = decoders[extension];
  if (!decode) return { ok: false, reason: `no decoder for ${extension} files` };
  const partial = `${peaksFile}.partial`;
  const file = await fs.open(partial, 'w');
  const bytes = chunksOf(source);
  try {
    let meter: LoudnessMeter | undefined;
    let peaks: PeaksWriter | undefined;
    let frames = 0;
    let format = { sampleRate: 0, channels: 0 };
    for await (const { sampleRate, channelData } of decode(bytes)) {
      if (!meter) {
        format = { sampleRate, channels: channelData.length };
        meter = new LoudnessMeter(sampleRate, channelData.length);
        peaks = new PeaksWriter(file, sampleRate, channelData.length, samplesPerPixel);
      }
      meter.push(channelData);
      await peaks!.push(channelData);
      frames += channelData[0]!.length;
    }
    if (!meter || frames === 0) return { ok: false, reason: 'no audio samples in the file' };
    await peaks!.finish();
    await file.close();
    await fs.rename(partial, peaksFile);
    return { ok: true, durationSeconds: frames / format.sampleRate, ...format, loudness: meter.result() };
  } catch (error) {
    if (error instanceof DecodeFailure) return { ok: false, reason: error.message };
    throw error;
  } finally {
    await file.close().catch(() => undefined);
    await fs.rm(partial, { force: true });
  }
}

/** The source's bytes as they are read: held in memory, sent over a port, or read from a file. */
function chunksOf(source: AnalysisSource): AsyncIterable<Uint8Array> {
  if ('bytes' in source) return oneChunk(source.bytes);
  if ('port' in source) return receiveChunks(source.port);
  return fileChunks(source.file);
}

/**
 * Opens the file at the decoder's first read, so a failed open (the file deleted meanwhile) rejects
 * that read. A stream opened earlier (the .mp3 decoder first waits for its WebAssembly) would
 * throw its 'error' with no listener, ending the thread.
 */
async function* fileChunks(file: string): AsyncGenerator<Uint8Array> {
  yield* createReadStream(file, { highWaterMark: 64 * 1024 });
}

async function* oneChunk(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** Readiness probe. */
export function ping(): string {
  return 'pong';
}
