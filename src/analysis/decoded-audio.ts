/** A block of decoded audio: one Float32Array per channel (equal lengths), full scale = 1. */
export interface DecodedBlock {
  sampleRate: number;
  channelData: Float32Array[];
}

/** A decoder turns a file's bytes, as they are read, into blocks of samples. */
export type Decoder = (bytes: AsyncIterable<Uint8Array>) => AsyncGenerator<DecodedBlock>;

/** What a file that cannot be decoded throws: its message is the failed analysis' reason. */
export class DecodeFailure extends Error {
  override name = 'DecodeFailure';
}
