import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { parseBuffer, parseStream, type IAudioMetadata } from 'music-metadata';
import type { AudioMetadata } from './media-store.ts';

/**
 * Duration, bitrate, sample rate, channels, codec and tags; null when the parser gives up.
 * The parser is chosen by the extension (`hint` is a name such as `audio.mp3`): guessing by
 * content goes through a CommonJS interop that breaks under the tsx loader in worker threads.
 * Without `duration: true` the parser estimates instead of scanning the whole file, so a large
 * upload costs a few reads here, not a second pass over its bytes.
 */
export async function readAudioMetadata(source: string | Uint8Array, extension: string): Promise<AudioMetadata | null> {
  const fileInfo = { path: `audio${extension}` };
  const options = { skipCovers: true };
  let parsed: IAudioMetadata;
  try {
    if (typeof source !== 'string') {
      parsed = await parseBuffer(source, fileInfo, options);
    } else {
      // Through a PassThrough: the tokenizer would take a file stream's own `path` over the hint.
      const file = createReadStream(source);
      const stream = file.pipe(new PassThrough());
      try {
        parsed = await parseStream(stream, { ...fileInfo, size: (await stat(source)).size }, options);
      } finally {
        file.destroy();
        stream.destroy();
      }
    }
  } catch {
    return null;
  }
  const { format, common } = parsed;
  const found: AudioMetadata = {
    durationSeconds: format.duration,
    bitrate: format.bitrate,
    sampleRate: format.sampleRate,
    channels: format.numberOfChannels,
    codec: format.codec,
    title: common.title,
    artist: common.artist,
  };
  return Object.fromEntries(Object.entries(found).filter(([, value]) => value !== undefined)) as AudioMetadata;
}
