import { openAsBlob } from 'node:fs';
import { parseBuffer, parseFromTokenizer, type IAudioMetadata } from 'music-metadata';
import { fromBlob } from 'strtok3';
import type { AudioMetadata } from './stored-file.ts';

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
      // A tokenizer over a Blob of the file gives the parser random access: it reads the head and
      // the tags at the end. Through a stream it read every byte to reach the end.
      const tokenizer = fromBlob(await openAsBlob(source), { fileInfo });
      try {
        parsed = await parseFromTokenizer(tokenizer, options);
      } finally {
        await tokenizer.close();
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
