import { Router, type Response } from 'express';
import { z } from 'zod';
import type { Access } from '../access/access.ts';
import { AppError } from '../errors.ts';
import { parseMediaPath } from './media-path.ts';
import type { ByteStore } from '../storage/byte-store.ts';
import { statusOf } from '../analysis/analysis-record.ts';
import type { AudioAnalysis } from '../analysis/audio-analysis.ts';
import type { AnalysisConfig } from '../analysis/config.ts';
import { waveformView } from '../analysis/waveform-view.ts';

/**
 * GET /waveforms/{directory...}/{filename}?pixels=N: the file's peaks in the audiowaveform JSON
 * format (version 2), at most N pixels wide. Needs the read access the file itself needs.
 */
export function waveformRoutes(config: AnalysisConfig, store: ByteStore, analysis: AudioAnalysis, access: Access): Router {
  const router = Router();
  const pixelsSchema = z.coerce.number().int().min(1).max(config.maxPixels).optional();
  router.get('/*path', async (req, res: Response) => {
    const segments = (req.params as { path: string[] }).path;
    const target = parseMediaPath({ directory: segments.slice(0, -1).join('/'), filename: segments.at(-1) });
    const pixels = pixelsSchema.safeParse(req.query.pixels);
    if (!pixels.success || Array.isArray(req.query.pixels))
      throw new AppError(
        'INVALID_ARGUMENT',
        `invalid argument: pixels must be an integer from 1 to ${config.maxPixels} (analysis.maxPixels)`,
      );
    access.mayRead(access.principal(res), target);
    const key = { directory: target.directory, name: target.filename };
    const object = await store.head(key);
    if (!object) throw new AppError('NOT_FOUND', `not found: ${target.directory}/${target.filename}`);
    if (!analysis.analysable(key)) throw new AppError('FORMAT_NOT_SUPPORTED', `format not supported: no waveform for ${target.filename}`);
    const record = await analysis.results.record(key);
    const status = statusOf(record, object.sha256);
    if (status.analysis === 'pending') {
      res.set('Retry-After', String(config.retryAfterSeconds));
      throw new AppError('ANALYSIS_PENDING');
    }
    if (record?.state === 'failed') throw new AppError('ANALYSIS_FAILED', `analysis failed: ${record.reason}`);
    const peaks = await analysis.results.peaks(key);
    if (!peaks) throw new AppError('ANALYSIS_PENDING');
    const view = await waveformView(peaks, pixels.data ?? config.maxPixels).finally(() => peaks.destroy());
    res.set({ 'Cache-Control': 'no-cache', ETag: `"${object.sha256}.${view.samples_per_pixel}"` });
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    res.json(view);
  });
  return router;
}
