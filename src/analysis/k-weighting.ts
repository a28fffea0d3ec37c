/**
 * The K-weighting of ITU-R BS.1770-4 (a high-shelf "pre-filter" then the RLB high-pass), as two
 * biquads whose coefficients are derived for any sample rate from the analogue prototypes (the
 * standard tabulates them for 48 kHz only; the derivation is libebur128's).
 */
export class KWeighting {
  private readonly b: Float64Array;
  private readonly a: Float64Array;
  /** Two biquad states (z1, z2) per channel, for each of the two stages. */
  private readonly state: Float64Array;

  constructor(sampleRate: number, channels: number) {
    let f0 = 1681.974450955533;
    const gain = 3.999843853973347;
    let q = 0.7071752369554196;
    let k = Math.tan((Math.PI * f0) / sampleRate);
    const vh = 10 ** (gain / 20);
    const vb = vh ** 0.4996667741545416;
    const a0 = 1 + k / q + k * k;
    const shelfB = [(vh + (vb * k) / q + k * k) / a0, (2 * (k * k - vh)) / a0, (vh - (vb * k) / q + k * k) / a0];
    const shelfA = [(2 * (k * k - 1)) / a0, (1 - k / q + k * k) / a0];
    f0 = 38.13547087602444;
    q = 0.5003270373238773;
    k = Math.tan((Math.PI * f0) / sampleRate);
    const highPassA = [(2 * (k * k - 1)) / (1 + k / q + k * k), (1 - k / q + k * k) / (1 + k / q + k * k)];
    this.b = Float64Array.from([...shelfB, 1, -2, 1]);
    this.a = Float64Array.from([...shelfA, ...highPassA]);
    this.state = new Float64Array(channels * 4);
  }

  /** Sum of the squares of the K-weighted samples of one channel's block (direct form II transposed). */
  sumOfSquares(channel: number, samples: Float32Array): number {
    const { b, a, state } = this;
    const at = channel * 4;
    let s1 = state[at]!;
    let s2 = state[at + 1]!;
    let t1 = state[at + 2]!;
    let t2 = state[at + 3]!;
    const [b0, b1, b2, hb0, hb1, hb2] = b as unknown as number[];
    const [a1, a2, ha1, ha2] = a as unknown as number[];
    let sum = 0;
    for (let i = 0; i < samples.length; i++) {
      const x = samples[i]!;
      const y = b0! * x + s1;
      s1 = b1! * x - a1! * y + s2;
      s2 = b2! * x - a2! * y;
      const z = hb0! * y + t1;
      t1 = hb1! * y - ha1! * z + t2;
      t2 = hb2! * y - ha2! * z;
      sum += z * z;
    }
    state[at] = s1;
    state[at + 1] = s2;
    state[at + 2] = t1;
    state[at + 3] = t2;
    return sum;
  }
}

/** BS.1770-4 channel weights: 1 for front channels, 1.41 for surrounds, 0 for the LFE of 5.1. */
export function channelWeights(channels: number): number[] {
  if (channels === 5) return [1, 1, 1, 1.41, 1.41];
  if (channels === 6) return [1, 1, 1, 0, 1.41, 1.41];
  return Array.from({ length: channels }, () => 1);
}
