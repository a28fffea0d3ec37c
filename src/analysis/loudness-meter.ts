import { channelWeights, KWeighting } from './k-weighting.ts';
import { gatedLoudness, loudnessRange } from './gating.ts';
import { TruePeak } from './true-peak.ts';

/** EBU R128 figures of a whole file; null where the signal is below the absolute gate (silence). */
export interface Loudness {
  /** Integrated loudness, LUFS (BS.1770-4 gated). */
  integrated: number | null;
  /** Loudness range, LU (EBU Tech 3342). */
  range: number | null;
  /** dBTP. */
  truePeak: number | null;
  /** dBFS. */
  samplePeak: number | null;
}

/**
 * Measures a stream of blocks. K-weighted energy is summed per 100 ms step; the 400 ms momentary
 * blocks (integrated loudness) and 3 s short-term blocks (loudness range) are windows of those
 * steps, so memory holds one number per 100 ms of audio (about 430 KB for 3 hours).
 */
export class LoudnessMeter {
  private readonly filter: KWeighting;
  private readonly weights: number[];
  private readonly truePeak: TruePeak;
  private readonly stepFrames: number;
  private stepEnergy = 0;
  private stepFilled = 0;
  private readonly steps: number[] = [];
  private samplePeak = 0;

  constructor(sampleRate: number, channels: number) {
    this.filter = new KWeighting(sampleRate, channels);
    this.weights = channelWeights(channels);
    this.truePeak = new TruePeak(sampleRate, channels);
    this.stepFrames = Math.round(sampleRate / 10);
  }

  push(channelData: Float32Array[]): void {
    this.truePeak.push(channelData);
    for (const samples of channelData) {
      for (let i = 0; i < samples.length; i++) {
        const magnitude = Math.abs(samples[i]!);
        if (magnitude > this.samplePeak) this.samplePeak = magnitude;
      }
    }
    const frames = channelData[0]?.length ?? 0;
    let offset = 0;
    while (offset < frames) {
      const take = Math.min(frames - offset, this.stepFrames - this.stepFilled);
      channelData.forEach((samples, c) => {
        const weight = this.weights[c]!;
        if (weight !== 0) this.stepEnergy += weight * this.filter.sumOfSquares(c, samples.subarray(offset, offset + take));
      });
      offset += take;
      this.stepFilled += take;
      if (this.stepFilled === this.stepFrames) {
        this.steps.push(this.stepEnergy / this.stepFrames);
        this.stepEnergy = 0;
        this.stepFilled = 0;
      }
    }
  }

  result(): Loudness {
    const decibels = (linear: number) => (linear > 0 ? round(20 * Math.log10(linear)) : null);
    const integrated = gatedLoudness(windows(this.steps, 4), -10);
    const range = loudnessRange(windows(this.steps, 30));
    return {
      integrated: integrated === null ? null : round(integrated),
      range: range === null ? null : round(range),
      truePeak: decibels(this.truePeak.value()),
      samplePeak: decibels(this.samplePeak),
    };
  }
}

/** Mean energy of every complete window of `size` steps, one window per step. */
function windows(steps: number[], size: number): number[] {
  const out: number[] = [];
  let sum = 0;
  steps.forEach((energy, i) => {
    sum += energy;
    if (i >= size) sum -= steps[i - size]!;
    if (i >= size - 1) out.push(sum / size);
  });
  return out;
}

const round = (value: number) => Math.round(value * 100) / 100;
