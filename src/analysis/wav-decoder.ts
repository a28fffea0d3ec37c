import { ByteReader } from './byte-reader.ts';
import { DecodeFailure, type DecodedBlock } from './decoded-audio.ts';

const FRAMES_PER_BLOCK = 16_384;
const PCM = 1;
const FLOAT = 3;
const EXTENSIBLE = 0xfffe;

interface WavFormat {
  encoding: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  blockAlign: number;
}

/**
 * RIFF/WAVE: integer PCM (8, 16, 24, 32 bits) and IEEE float (32, 64 bits), plain or
 * WAVE_FORMAT_EXTENSIBLE. Chunks other than `fmt ` and `data` are skipped; a `data` size of 0 or
 * 0xFFFFFFFF (a recorder that never went back to write it) means "to the end of the file".
 */
export async function* decodeWav(bytes: AsyncIterable<Uint8Array>): AsyncGenerator<DecodedBlock> {
  const reader = new ByteReader(bytes);
  const riff = await reader.take(12);
  if (riff.length < 12 || riff.toString('latin1', 0, 4) !== 'RIFF' || riff.toString('latin1', 8, 12) !== 'WAVE')
    throw new DecodeFailure('not a RIFF/WAVE file');
  let format: WavFormat | undefined;
  for (;;) {
    const header = await reader.take(8);
    if (header.length < 8) throw new DecodeFailure('no data chunk');
    const id = header.toString('latin1', 0, 4);
    const size = header.readUInt32LE(4);
    if (id === 'fmt ') {
      format = parseFormat(await reader.take(size));
      if (size % 2 === 1) await reader.skip(1);
    } else if (id === 'data') {
      if (!format) throw new DecodeFailure('data chunk before fmt chunk');
      const length = size === 0 || size === 0xffffffff ? Infinity : size;
      yield* samples(reader, format, length);
      return;
    } else {
      await reader.skip(size + (size % 2));
    }
  }
}

function parseFormat(chunk: Buffer): WavFormat {
  if (chunk.length < 16) throw new DecodeFailure('fmt chunk too short');
  let encoding = chunk.readUInt16LE(0);
  if (encoding === EXTENSIBLE && chunk.length >= 26) encoding = chunk.readUInt16LE(24);
  const format = {
    encoding,
    channels: chunk.readUInt16LE(2),
    sampleRate: chunk.readUInt32LE(4),
    blockAlign: chunk.readUInt16LE(12),
    bitsPerSample: chunk.readUInt16LE(14),
  };
  const supported =
    (encoding === PCM && [8, 16, 24, 32].includes(format.bitsPerSample)) || (encoding === FLOAT && [32, 64].includes(format.bitsPerSample));
  if (!supported) throw new DecodeFailure(`unsupported WAV encoding ${encoding} with ${format.bitsPerSample} bits`);
  if (format.channels < 1 || format.sampleRate < 1 || format.blockAlign !== (format.channels * format.bitsPerSample) / 8)
    throw new DecodeFailure('inconsistent WAV format chunk');
  return format;
}

async function* samples(reader: ByteReader, format: WavFormat, length: number): AsyncGenerator<DecodedBlock> {
  const read = sampleReader(format);
  const { channels, blockAlign, sampleRate } = format;
  let left = length;
  while (left > 0) {
    const want = Math.min(left, FRAMES_PER_BLOCK * blockAlign);
    const bytes = await reader.take(want - (want % blockAlign));
    const frames = Math.floor(bytes.length / blockAlign);
    if (frames === 0) return;
    left -= bytes.length;
    const channelData = Array.from({ length: channels }, () => new Float32Array(frames));
    for (let frame = 0, at = 0; frame < frames; frame++) {
      for (let c = 0; c < channels; c++, at += blockAlign / channels) channelData[c]![frame] = read(bytes, at);
    }
    yield { sampleRate, channelData };
  }
}

/** Reads one sample at a byte offset, scaled so integer full scale is [-1, 1). */
function sampleReader({ encoding, bitsPerSample }: WavFormat): (bytes: Buffer, at: number) => number {
  if (encoding === FLOAT) return bitsPerSample === 32 ? (b, at) => b.readFloatLE(at) : (b, at) => b.readDoubleLE(at);
  switch (bitsPerSample) {
    case 8:
      return (b, at) => (b[at]! - 128) / 128;
    case 16:
      return (b, at) => b.readInt16LE(at) / 32768;
    case 24:
      return (b, at) => b.readIntLE(at, 3) / 8388608;
    default:
      return (b, at) => b.readInt32LE(at) / 2147483648;
  }
}
