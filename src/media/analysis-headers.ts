import type { AudioMetadata } from './stored-file.ts';

/**
 * What a download's HEAD/GET answer says of the file's analysis, as RFC 8941 structured fields:
 * `Audio-Analysis: done` and `Audio-Loudness: integrated=-23.0, range=0.0, true-peak=-23.0,
 * sample-peak=-23.0` (a figure that is null, for a silent file, is left out). Files not
 * analysed get neither.
 */
export function analysisHeaders(metadata: AudioMetadata | null): Record<string, string> {
  if (!metadata?.analysis) return {};
  const headers: Record<string, string> = { 'Audio-Analysis': metadata.analysis };
  const { loudness } = metadata;
  if (loudness) {
    const figures: Array<[string, number | null]> = [
      ['integrated', loudness.integrated],
      ['range', loudness.range],
      ['true-peak', loudness.truePeak],
      ['sample-peak', loudness.samplePeak],
    ];
    headers['Audio-Loudness'] = figures
      .filter((figure): figure is [string, number] => figure[1] !== null)
      .map(([name, value]) => `${name}=${value.toFixed(2)}`)
      .join(', ');
  }
  return headers;
}
