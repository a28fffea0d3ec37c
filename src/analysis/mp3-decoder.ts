import { MPEGDecoder } from 'mpg123-decoder';
import { DecodeFailure, type DecodedBlock } from './decoded-audio.ts';

/** Input slice handed to mpg123 at a time: the WebAssembly decoder's input buffer is bounded. */
const INPUT_BYTES = 16 * 1024;

/**
 * MPEG audio layers I-III through mpg123 compiled to WebAssembly (`mpg123-decoder`), fed as the
 * bytes arrive: the decoder keeps only its frame buffer, whatever the file's length.
 */
export async function* decodeMp3(bytes: AsyncIterable<Uint8Array>): AsyncGenerator<DecodedBlock> {
  const decoder = new MPEGDecoder();
  await decoder.ready;
  let sampleRate: number | undefined;
  let channels: number | undefined;
  try {
    for await (const chunk of bytes) {
      for (let at = 0; at < chunk.length; at += INPUT_BYTES) {
        const decoded = withoutConsoleErrors(() => decoder.decode(chunk.subarray(at, at + INPUT_BYTES)));
        if (decoded.samplesDecoded === 0) continue;
        sampleRate ??= decoded.sampleRate;
        channels ??= decoded.channelData.length;
        if (decoded.sampleRate !== sampleRate || decoded.channelData.length !== channels)
          throw new DecodeFailure('the MPEG stream changes its sample rate or channels');
        // The decoder's arrays are its own copies, made per call: views, not further copies.
        const channelData = decoded.channelData.map((samples) => samples.subarray(0, decoded.samplesDecoded));
        yield { sampleRate, channelData };
      }
    }
  } finally {
    decoder.free();
  }
  if (sampleRate === undefined) throw new DecodeFailure('no MPEG audio frames found');
}

/**
 * mpg123-decoder prints each frame it cannot decode with console.error: raw lines in the middle of
 * the service's JSON log, for damage the decoder skips anyway. The call is synchronous, so nothing
 * else of this thread prints while console.error is silenced.
 */
function withoutConsoleErrors<T>(decode: () => T): T {
  const print = console.error;
  console.error = () => undefined;
  try {
    return decode();
  } finally {
    console.error = print;
  }
}
