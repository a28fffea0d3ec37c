export function median(values: number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;
/** MB/s as the issue quotes it: 10^6 bytes per second. */
export const toMBps = (bytesPerSec: number) => bytesPerSec / 1e6;
