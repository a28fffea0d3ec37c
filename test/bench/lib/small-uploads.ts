import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { BenchContext, Repeated } from './context.ts';
import { measureLoad, warmUp, type LoadShape } from './load.ts';
import { startBaseline, type ServerProcess } from './processes.ts';
import { assertSeedStored, startSeed } from './seed.ts';
import { startService } from './service.ts';

/** The small-upload load shape of issue 8: 64 KiB MP3s under unique names, 32 connections. */
export const SMALL_SIZE = 64 * 1024;
export const SMALL_CONNECTIONS = 32;

type SmallBodyKind = 'multipart' | 'urlencoded';

const shapeFor = (kind: SmallBodyKind): LoadShape => ({
  connections: SMALL_CONNECTIONS,
  request: { kind: kind === 'multipart' ? 'multipart-upload' : 'urlencoded-upload', size: SMALL_SIZE },
  expectStatus: 200,
});

export type UploadFigures = {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuPct: number;
  loadCpuPct: number;
  backgroundCpuPct: number;
  /** The server's CPU time (user + system, all threads, from /proc) per stored upload, in us. */
  cpuUsPerUpload: number;
};
export type ServiceUploadFigures = UploadFigures & {
  lagP99Ms: number;
  lagMaxMs: number;
  /** Files whose audio analysis finished during the measured run, per stored upload (0 with analysis off). */
  analysedPerUpload: number;
};

export interface SmallUploads {
  /** The raw baseline (same multipart bytes on the wire, streamed to a file unparsed). */
  raw: Repeated<UploadFigures>;
  /** Diagnostic: Express 5 + multer writing each part with no checks (baselines/express-multer-floor.ts). */
  floor: Repeated<UploadFigures>;
  /** Diagnostic: the spec's durable minimum on Express 5 + multer, all on the event loop (baselines/express-multer-durable-floor.ts). */
  durableFloor: Repeated<UploadFigures>;
  multipartFsync: Repeated<ServiceUploadFigures>;
  /** The same at LOG_LEVEL=info (a request line per upload), for the CPU figure of issue 24. */
  multipartFsyncInfo: Repeated<ServiceUploadFigures>;
  /** The same with `analysis.enabled: false` (diagnostic: the upload path without audio analysis). */
  multipartFsyncInfoNoAnalysis: Repeated<ServiceUploadFigures>;
  multipartNoFsync: Repeated<ServiceUploadFigures>;
  urlencodedFsync: Repeated<ServiceUploadFigures>;
  /** The seed service's own Tornado handlers (baselines/seed-tornado), multipart and urlencoded. */
  seedMultipart: Repeated<UploadFigures>;
  seedUrlencoded: Repeated<UploadFigures>;
}

async function baselineRun(
  ctx: BenchContext,
  script: 'raw-upload-server' | 'express-multer-floor' | 'express-multer-durable-floor',
): Promise<UploadFigures> {
  const server = await startBaseline(`baselines/${script}.ts`, ctx.freshDir(`${script}-small`));
  return measureBaseline(ctx, server, 'multipart', `${script} 64 KiB`);
}

async function seedRun(ctx: BenchContext, kind: SmallBodyKind): Promise<UploadFigures> {
  const root = ctx.freshDir(`seed-small-${kind}`);
  const label = `seed ${kind} 64 KiB`;
  return measureBaseline(ctx, await startSeed(kind, root), kind, label, (ok) => assertSeedStored(root, 'bench', ok, label));
}

/** Warm-up and one measured run against a baseline server, which is stopped afterwards. */
async function measureBaseline(
  ctx: BenchContext,
  server: ServerProcess,
  kind: SmallBodyKind,
  label: string,
  check?: (ok: number) => void,
): Promise<UploadFigures> {
  try {
    await warmUp(ctx, server, shapeFor(kind));
    const load = await measureLoad(ctx, server, shapeFor(kind), label);
    check?.(load.ok);
    return {
      reqPerSec: load.reqPerSec,
      p50Ms: load.latencyP50Ms,
      p99Ms: load.latencyP99Ms,
      serverCpuPct: load.serverCpuPct,
      loadCpuPct: load.loadCpuPct,
      backgroundCpuPct: load.backgroundCpuPct,
      cpuUsPerUpload: (load.serverCpuSeconds / load.ok) * 1e6,
    };
  } finally {
    await server.stop();
  }
}

/** Analysis results written so far under the service's root (`<root>/.analysis/<h>.json`, one per file). */
function analysedFiles(root: string): number {
  try {
    return readdirSync(path.join(root, '.analysis')).filter((name) => name.endsWith('.json')).length;
  } catch {
    return 0;
  }
}

/** One run of the service; the event-loop lag is measured inside it during the measured run. */
async function serviceRun(
  ctx: BenchContext,
  kind: SmallBodyKind,
  fsync: boolean,
  logLevel = 'warn',
  analysis = true,
): Promise<ServiceUploadFigures> {
  const label = `service 64 KiB ${kind} fsync ${fsync ? 'on' : 'off'} log ${logLevel}${analysis ? '' : ' analysis off'}`;
  const root = ctx.freshDir(`service-small-${kind}-${fsync ? 'fsync' : 'nofsync'}-${logLevel}${analysis ? '' : '-noanalysis'}`);
  const service = await startService({
    root,
    media: { fsync },
    config: analysis ? undefined : { analysis: { enabled: false } },
    logLevel,
    probeEventLoop: true,
    cpuProfDir: ctx.options.cpuProfDir,
  });
  try {
    await warmUp(ctx, service, shapeFor(kind));
    await service.eventLoopLag(); // resets: only the measured run counts
    const analysedBefore = analysedFiles(root);
    const load = await measureLoad(ctx, service, shapeFor(kind), label);
    const analysedDuring = analysedFiles(root) - analysedBefore;
    const lag = await service.eventLoopLag();
    return {
      reqPerSec: load.reqPerSec,
      p50Ms: load.latencyP50Ms,
      p99Ms: load.latencyP99Ms,
      lagP99Ms: lag.p99Ms,
      lagMaxMs: lag.maxMs,
      analysedPerUpload: analysedDuring / load.ok,
      serverCpuPct: load.serverCpuPct,
      loadCpuPct: load.loadCpuPct,
      backgroundCpuPct: load.backgroundCpuPct,
      cpuUsPerUpload: (load.serverCpuSeconds / load.ok) * 1e6,
    };
  } finally {
    await service.stop();
  }
}

/**
 * Every small-upload measurement, interleaved per repetition (raw, the Express + multer floor and
 * its durable minimum, the seed's multipart handler, multipart with fsync, without, the seed's
 * urlencoded handler, urlencoded) and taken once per invocation: the small-upload scenarios all
 * read from it.
 */
export function smallUploads(ctx: BenchContext): Promise<SmallUploads> {
  return ctx.memo('small uploads', () =>
    ctx.interleave<{
      raw: UploadFigures;
      floor: UploadFigures;
      durableFloor: UploadFigures;
      seedMultipart: UploadFigures;
      multipartFsync: ServiceUploadFigures;
      multipartFsyncInfo: ServiceUploadFigures;
      multipartFsyncInfoNoAnalysis: ServiceUploadFigures;
      multipartNoFsync: ServiceUploadFigures;
      seedUrlencoded: UploadFigures;
      urlencodedFsync: ServiceUploadFigures;
    }>('64 KiB c=32', {
      raw: () => baselineRun(ctx, 'raw-upload-server'),
      floor: () => baselineRun(ctx, 'express-multer-floor'),
      durableFloor: () => baselineRun(ctx, 'express-multer-durable-floor'),
      seedMultipart: () => seedRun(ctx, 'multipart'),
      multipartFsync: () => serviceRun(ctx, 'multipart', true),
      multipartFsyncInfo: () => serviceRun(ctx, 'multipart', true, 'info'),
      multipartFsyncInfoNoAnalysis: () => serviceRun(ctx, 'multipart', true, 'info', false),
      multipartNoFsync: () => serviceRun(ctx, 'multipart', false),
      seedUrlencoded: () => seedRun(ctx, 'urlencoded'),
      urlencodedFsync: () => serviceRun(ctx, 'urlencoded', true),
    }),
  );
}
