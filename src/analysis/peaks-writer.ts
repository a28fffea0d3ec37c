import type { FileHandle } from 'node:fs/promises';

/** The header of the BBC audiowaveform binary format, version 2 (24 bytes, little-endian). */
export const DAT_HEADER_BYTES = 24;
const FLUSH_BYTES = 64 * 1024;

/**
 * Min/max peaks per pixel of `samplesPerPixel` frames, per channel, in 16 bits, written to a file
 * in the audiowaveform binary format (version 2) as they are computed: memory stays one buffer
 * whatever the length. The header, which holds the length, is written last.
 */
export class PeaksWriter {
  private readonly buffer = Buffer.alloc(FLUSH_BYTES);
  private buffered = 0;
  private written = DAT_HEADER_BYTES;
  private pixels = 0;
  private filled = 0;
  private min: Int16Array;
  private max: Int16Array;

  constructor(
    private readonly file: FileHandle,
    private readonly sampleRate: number,
    private readonly channels: number,
    private readonly samplesPerPixel: number,
  ) {
    this.min = new Int16Array(channels).fill(32767);
    this.max = new Int16Array(channels).fill(-32768);
  }

  async push(channelData: Float32Array[]): Promise<void> {
    const frames = channelData[0]?.length ?? 0;
    let offset = 0;
    while (offset < frames) {
      const take = Math.min(frames - offset, this.samplesPerPixel - this.filled);
      channelData.forEach((samples, c) => {
        let low = this.min[c]!;
        let high = this.max[c]!;
        for (let i = offset; i < offset + take; i++) {
          const value = toInt16(samples[i]!);
          if (value < low) low = value;
          if (value > high) high = value;
        }
        this.min[c] = low;
        this.max[c] = high;
      });
      offset += take;
      this.filled += take;
      if (this.filled === this.samplesPerPixel) await this.endPixel();
    }
  }

  /** Writes the last, partial pixel and the header; answers the length in pixels. */
  async finish(): Promise<number> {
    if (this.filled > 0) await this.endPixel();
    await this.flush();
    const header = Buffer.alloc(DAT_HEADER_BYTES);
    header.writeInt32LE(2, 0);
    header.writeUInt32LE(0, 4); // flags: 16-bit values
    header.writeInt32LE(this.sampleRate, 8);
    header.writeInt32LE(this.samplesPerPixel, 12);
    header.writeUInt32LE(this.pixels, 16);
    header.writeInt32LE(this.channels, 20);
    await this.file.write(header, 0, DAT_HEADER_BYTES, 0);
    return this.pixels;
  }

  private async endPixel(): Promise<void> {
    if (this.buffered + this.channels * 4 > FLUSH_BYTES) await this.flush();
    for (let c = 0; c < this.channels; c++) {
      this.buffered = this.buffer.writeInt16LE(this.min[c]!, this.buffered);
      this.buffered = this.buffer.writeInt16LE(this.max[c]!, this.buffered);
    }
    this.min.fill(32767);
    this.max.fill(-32768);
    this.filled = 0;
    this.pixels++;
  }

  private async flush(): Promise<void> {
    await this.file.write(this.buffer, 0, this.buffered, this.written);
    this.written += this.buffered;
    this.buffered = 0;
  }
}

/** Full scale [-1, 1) to 16 bits, rounded and clipped (a 16-bit PCM sample maps to itself). */
const toInt16 = (sample: number) => Math.max(-32768, Math.min(32767, Math.round(sample * 32768)));
