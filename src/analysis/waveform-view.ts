import { ByteReader } from './byte-reader.ts';
import { DAT_HEADER_BYTES } from './peaks-writer.ts';

/** The BBC audiowaveform JSON format, version 2: what peaks.js, waveform-data and wavesurfer.js read. */
export interface WaveformJson {
  version: 2;
  channels: number;
  sample_rate: number;
  samples_per_pixel: number;
  bits: 16;
  length: number;
  data: number[];
}

/**
 * The stored peaks as audiowaveform JSON, at most `pixels` wide: every `factor` stored pixels are
 * merged into one (the min of their minima, the max of their maxima), so a coarser view is exactly
 * what the samples give at `factor` times the stored samples per pixel.
 */
export async function waveformView(dat: AsyncIterable<Uint8Array>, pixels: number): Promise<WaveformJson> {
  const reader = new ByteReader(dat);
  const header = await reader.take(DAT_HEADER_BYTES);
  if (header.length < DAT_HEADER_BYTES || header.readInt32LE(0) !== 2) throw new Error('stored peaks are not audiowaveform version 2');
  const [sampleRate, samplesPerPixel, length, channels] = [
    header.readInt32LE(8),
    header.readInt32LE(12),
    header.readUInt32LE(16),
    header.readInt32LE(20),
  ];
  const factor = Math.max(1, Math.ceil(length / pixels));
  const outLength = Math.ceil(length / factor);
  const data = new Array<number>(outLength * channels * 2);
  const pixelBytes = channels * 4;
  for (let pixel = 0; pixel < length;) {
    const bytes = await reader.take(Math.min(length - pixel, 4096) * pixelBytes);
    if (bytes.length % pixelBytes !== 0 || bytes.length === 0) throw new Error(`stored peaks end after ${pixel} of ${length} pixels`);
    for (let at = 0; at < bytes.length; at += pixelBytes, pixel++) {
      const out = Math.floor(pixel / factor) * channels * 2;
      const first = pixel % factor === 0;
      for (let c = 0; c < channels; c++) {
        const low = bytes.readInt16LE(at + c * 4);
        const high = bytes.readInt16LE(at + c * 4 + 2);
        data[out + c * 2] = first ? low : Math.min(data[out + c * 2]!, low);
        data[out + c * 2 + 1] = first ? high : Math.max(data[out + c * 2 + 1]!, high);
      }
    }
  }
  return { version: 2, channels, sample_rate: sampleRate, samples_per_pixel: samplesPerPixel * factor, bits: 16, length: outLength, data };
}
