/** BS.1770-4: loudness of a mean energy, LUFS. */
export const loudnessOf = (energy: number) => -0.691 + 10 * Math.log10(energy);

const ABSOLUTE_GATE_LUFS = -70;

/**
 * BS.1770-4 gating: blocks below the absolute gate are dropped, then those below the power mean
 * of the rest plus `relativeGate` (LU). Returns the loudness of what remains; null when nothing does.
 */
export function gatedLoudness(blocks: number[], relativeGate: number): number | null {
  const kept = relativelyGated(blocks, relativeGate);
  return kept.length === 0 ? null : loudnessOf(mean(kept));
}

/**
 * EBU Tech 3342 loudness range: the short-term blocks gated at -70 LUFS and -20 LU relative, then
 * the spread between their 10th and 95th percentiles of loudness.
 */
export function loudnessRange(shortTermBlocks: number[]): number | null {
  const kept = relativelyGated(shortTermBlocks, -20)
    .map(loudnessOf)
    .sort((a, b) => a - b);
  if (kept.length === 0) return null;
  const at = (fraction: number) => kept[Math.round((kept.length - 1) * fraction)]!;
  return at(0.95) - at(0.1);
}

function relativelyGated(blocks: number[], relativeGate: number): number[] {
  const audible = blocks.filter((energy) => energy > 0 && loudnessOf(energy) >= ABSOLUTE_GATE_LUFS);
  if (audible.length === 0) return [];
  const threshold = loudnessOf(mean(audible)) + relativeGate;
  return audible.filter((energy) => loudnessOf(energy) >= threshold);
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
