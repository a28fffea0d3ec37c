const TAPS = 49;
const CHUNK_FRAMES = 256;

/**
 * True peak per ITU-R BS.1770-4 Annex 2: the largest magnitude of the signal oversampled (4x below
 * 96 kHz, 2x below 192 kHz) by a polyphase windowed-sinc interpolator, so inter-sample peaks that
 * the samples alone miss are seen.
 */
export class TruePeak {
  private readonly factor: number;
  /** phases[f][k]: the FIR coefficient applied to the k-th latest input for output phase f. */
  private readonly phases: Float64Array[];
  /** The same coefficients interleaved: flat[k * factor + f] = phases[f][k]. */
  private readonly flat: Float64Array;
  private readonly history: Float64Array[];
  private readonly length: number;
  private position = 0;
  private peak = 0;
  /** The largest sum of magnitudes of one phase's coefficients. */
  private readonly gain: number;

  constructor(sampleRate: number, channels: number) {
    this.factor = sampleRate < 96_000 ? 4 : sampleRate < 192_000 ? 2 : 1;
    const coefficients = Array.from({ length: TAPS }, (_, j) => {
      const m = j - (TAPS - 1) / 2;
      const sinc = m === 0 ? 1 : Math.sin((m * Math.PI) / this.factor) / ((m * Math.PI) / this.factor);
      return sinc * 0.5 * (1 - Math.cos((2 * Math.PI * j) / (TAPS - 1)));
    });
    this.length = Math.ceil(TAPS / this.factor);
    this.phases = Array.from({ length: this.factor }, (_, f) =>
      Float64Array.from({ length: this.length }, (_, k) => coefficients[f + k * this.factor] ?? 0),
    );
    this.flat = Float64Array.from(
      { length: this.length * this.factor },
      (_, j) => this.phases[j % this.factor]![Math.floor(j / this.factor)]!,
    );
    this.gain = Math.max(...this.phases.map((phase) => phase.reduce((sum, c) => sum + Math.abs(c), 0)));
    // Each channel's latest inputs, written twice (at p and p + length) so a window never wraps.
    this.history = Array.from({ length: channels }, () => new Float64Array(this.length * 2));
  }

  /** Feeds one block of every channel (equal lengths). */
  push(channelData: Float32Array[]): void {
    const frames = channelData[0]?.length ?? 0;
    channelData.forEach((samples, c) => {
      for (let from = 0; from < frames; from += CHUNK_FRAMES) this.feed(c, samples, from, Math.min(frames, from + CHUNK_FRAMES));
    });
    this.position = (((this.position - frames) % this.length) + this.length) % this.length;
  }

  /**
   * No interpolated value exceeds `gain` times the largest input in its window: a chunk whose
   * inputs (and the history before them) stay below peak / gain cannot raise the peak, and only
   * its last inputs are kept. Most audio is skipped this way once its loudest part has passed.
   */
  private feed(channel: number, samples: Float32Array, from: number, to: number): void {
    const { factor, length } = this;
    const history = this.history[channel]!;
    // Sample i of this block goes to slot (position - i - 1) mod length: newest first.
    const slot = (i: number) => (((this.position - i - 1) % length) + length) % length;
    let largest = 0;
    for (let k = 0; k < length; k++) largest = Math.max(largest, Math.abs(history[k]!));
    for (let i = from; i < to; i++) largest = Math.max(largest, Math.abs(samples[i]!));
    if (factor === 1 || largest * this.gain <= this.peak) {
      this.peak = factor === 1 ? Math.max(this.peak, largest) : this.peak;
      for (let i = Math.max(from, to - length); i < to; i++) {
        history[slot(i)] = samples[i]!;
        history[slot(i) + length] = samples[i]!;
      }
      return;
    }
    let peak = this.peak;
    let position = slot(from - 1);
    for (let i = from; i < to; i++) {
      const x = samples[i]!;
      position = position === 0 ? length - 1 : position - 1;
      history[position] = x;
      history[position + length] = x;
      peak = factor === 4 ? this.peakOf4(history, position, peak) : this.peakOfAny(history, position, peak);
    }
    this.peak = peak;
  }

  /**
   * The 4x case (every rate below 96 kHz): the four phases summed in one pass over the window.
   * Each phase still adds its products in the same order, so the sums are the same numbers.
   */
  private peakOf4(history: Float64Array, start: number, peak: number): number {
    const { flat, length } = this;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (let k = 0, c = 0; k < length; k++, c += 4) {
      const h = history[start + k]!;
      a0 += flat[c]! * h;
      a1 += flat[c + 1]! * h;
      a2 += flat[c + 2]! * h;
      a3 += flat[c + 3]! * h;
    }
    return Math.max(peak, Math.abs(a0), Math.abs(a1), Math.abs(a2), Math.abs(a3));
  }

  private peakOfAny(history: Float64Array, start: number, peak: number): number {
    const { factor, phases, length } = this;
    for (let f = 0; f < factor; f++) {
      const phase = phases[f]!;
      let acc = 0;
      for (let k = 0; k < length; k++) acc += phase[k]! * history[start + k]!;
      peak = Math.max(peak, Math.abs(acc));
    }
    return peak;
  }

  /** The largest magnitude seen, linear (1 = full scale). */
  value(): number {
    return this.peak;
  }
}
