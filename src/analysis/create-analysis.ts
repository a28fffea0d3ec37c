import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { ByteStore } from '../storage/byte-store.ts';
import { analysedStore } from './analysed-store.ts';
import { AudioAnalysis } from './audio-analysis.ts';
import { LocalResults } from './local-results.ts';

export interface AnalysisSetup {
  analysis: AudioAnalysis;
  /** The store with analysis hooked to its commits and removals: what the routes must use. */
  store: ByteStore;
}

/** Analysis for the configured backend; undefined when analysis.enabled is false. */
export async function createAnalysis(config: Config, store: ByteStore, logger: Logger): Promise<AnalysisSetup | undefined> {
  if (!config.analysis.enabled) return undefined;
  const results = await LocalResults.create(store);
  const analysis = new AudioAnalysis(config.analysis, store, results, logger);
  return { analysis, store: analysedStore(store, analysis) };
}
