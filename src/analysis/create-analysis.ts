import type { Logger } from 'pino';
import type { ByteStore } from '../storage/byte-store.ts';
import type { StorageConfig } from '../storage/config.ts';
import { analysedStore } from './analysed-store.ts';
import { AudioAnalysis } from './audio-analysis.ts';
import type { AnalysisConfig } from './config.ts';
import { LocalResults } from './local-results.ts';

export interface AnalysisSetup {
  analysis: AudioAnalysis;
  /** The store with analysis hooked to its commits and removals: what the routes must use. */
  store: ByteStore;
}

/** Analysis for the configured backend; undefined when analysis.enabled is false. */
export async function createAnalysis(
  config: { analysis: AnalysisConfig; storage: StorageConfig },
  store: ByteStore,
  logger: Logger,
): Promise<AnalysisSetup | undefined> {
  if (!config.analysis.enabled) return undefined;
  // Loaded only for the s3 backend, as the store itself is: the AWS SDK is heavy.
  const onS3 = config.storage.backend === 's3';
  const results = onS3
    ? await (await import('./s3-results.ts')).S3Results.create(config.storage.s3, store)
    : await LocalResults.create(store);
  // On S3 a stored file is read from the bucket as the analysis goes, never copied to the host.
  const analysis = new AudioAnalysis(config.analysis, store, results, logger, onS3);
  return { analysis, store: analysedStore(store, analysis) };
}
