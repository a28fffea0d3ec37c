import { z } from 'zod';

export const analysisConfigSchema = z
  .object({
    /** Compute waveform peaks and loudness of every stored .mp3 and .wav after it is published. */
    enabled: z.boolean().default(true),
    /** Audio frames per stored peak pair (the finest waveform GET /waveforms can answer). */
    samplesPerPixel: z.number().int().min(32).max(65_536).default(256),
    /** Widest waveform one answer holds: `pixels` above it is refused, and a longer stored waveform is coarsened to it. */
    maxPixels: z.number().int().min(16).max(1_000_000).default(100_000),
    /** Files analysed at once (threads of the analysis pool, which runs below the upload pools). */
    concurrency: z.number().int().min(1).max(16).default(1),
    /** Files waiting for analysis in memory; beyond it they wait on disk and are found by the next scan. */
    maxQueue: z.number().int().min(1).default(10_000),
    /** The Retry-After (seconds) of a waveform asked for while its analysis is pending. */
    retryAfterSeconds: z.number().int().min(1).max(3600).default(5),
  })
  .strict();

export type AnalysisConfig = z.infer<typeof analysisConfigSchema>;
