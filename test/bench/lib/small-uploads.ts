import type { BenchContext, Repeated } from './context.ts';
import { measureLoad, warmUp, type LoadShape } from './load.ts';
import { startBaseline } from './processes.ts';
import { startService } from './service.ts';

/** The small-upload load shape of issue 8: 64 KiB MP3s under unique names, 32 connections. */
export const SMALL_SIZE = 64 * 1024;
export const SMALL_CONNECTIONS = 32;

export type SmallBodyKind = 'multipart' | 'urlencoded';

const shapeFor = (kind: SmallBodyKind): LoadShape => ({
  connections: SMALL_CONNECTIONS,
  request: { kind: kind === 'multipart' ? 'multipart-upload' : 'urlencoded-upload', size: SMALL_SIZE },
  expectStatus: 200,
});

export type UploadFigures = { reqPerSec: number; p50Ms: number; p99Ms: number };
export type ServiceUploadFigures = UploadFigures & { lagP99Ms: number; lagMaxMs: number };

/** The raw baseline's small multipart uploads (same bytes on the wire), measured once per invocation. */
export function rawSmallUploads(ctx: BenchContext): Promise<Repeated<UploadFigures>> {
  return ctx.memo('raw-upload-server: 64 KiB multipart', () =>
    ctx.repeat('raw-upload-server 64 KiB', async () => {
      const server = await startBaseline('baselines/raw-upload-server.ts', ctx.freshDir('raw-small'));
      try {
        await warmUp(ctx, server, shapeFor('multipart'));
        const load = await measureLoad(ctx, server, shapeFor('multipart'), 'raw-upload-server 64 KiB');
        return { reqPerSec: load.reqPerSec, p50Ms: load.latencyP50Ms, p99Ms: load.latencyP99Ms };
      } finally {
        await server.stop();
      }
    }),
  );
}

/**
 * The service's small uploads with `media.fsync` on or off, with the event-loop lag measured
 * inside the service during the measured run; once per invocation per variant.
 */
export function serviceSmallUploads(ctx: BenchContext, kind: SmallBodyKind, fsync: boolean): Promise<Repeated<ServiceUploadFigures>> {
  const label = `service 64 KiB ${kind} fsync ${fsync ? 'on' : 'off'}`;
  return ctx.memo(label, () =>
    ctx.repeat(label, async () => {
      const service = await startService({
        root: ctx.freshDir(`service-small-${kind}-${fsync ? 'fsync' : 'nofsync'}`),
        media: { fsync },
        probeEventLoop: true,
        cpuProfDir: ctx.options.cpuProfDir,
      });
      try {
        await warmUp(ctx, service, shapeFor(kind));
        await service.eventLoopLag(); // resets: only the measured run counts
        const load = await measureLoad(ctx, service, shapeFor(kind), label);
        const lag = await service.eventLoopLag();
        return { reqPerSec: load.reqPerSec, p50Ms: load.latencyP50Ms, p99Ms: load.latencyP99Ms, lagP99Ms: lag.p99Ms, lagMaxMs: lag.maxMs };
      } finally {
        await service.stop();
      }
    }),
  );
}
