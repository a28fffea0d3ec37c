import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import {
  assertClean,
  type AutocannonJob,
  type ChatLoadJob,
  type ChatLoadResult,
  type ListingLoadJob,
  type ListingLoadResult,
  type LoadResult,
  type StreamDownloadJob,
  type StreamDownloadResult,
  type StreamUploadJob,
  type StreamUploadResult,
  type TusUploadJob,
} from '../load/load-job.ts';
import type { BenchContext } from './context.ts';
import { cpuWindow, type CpuShares } from './cpu.ts';
import { runLoad, type ServerProcess } from './processes.ts';

export type LoadShape = Omit<AutocannonJob, 'url' | 'durationSeconds'>;

/** Unmeasured load first: JIT, pool threads and the page cache settle before the figures count. */
export async function warmUp(ctx: BenchContext, server: ServerProcess, shape: LoadShape): Promise<void> {
  if (ctx.options.warmupSeconds <= 0) return;
  const result = await runLoad<LoadResult>('load/autocannon-load.ts', {
    ...shape,
    url: server.url,
    durationSeconds: ctx.options.warmupSeconds,
  });
  // Slow answers may not complete within a short warm-up; wrong ones fail it.
  assertClean('warm-up', result, { allowNone: true });
}

/** One measured autocannon run from a separate process; any unexpected answer fails it. */
export async function measureLoad(
  ctx: BenchContext,
  server: ServerProcess,
  shape: LoadShape,
  what: string,
  helperPids: number[] = [],
): Promise<LoadResult & CpuShares> {
  const cpu = cpuWindow(server.pid, helperPids);
  const result = await runLoad<LoadResult>('load/autocannon-load.ts', { ...shape, url: server.url, durationSeconds: ctx.options.seconds });
  assertClean(what, result);
  return { ...result, ...cpu(result.cpuSeconds) };
}

/** Streams large uploads from a separate process; every upload must be answered 200. */
export async function measureStreamUpload(
  server: ServerProcess,
  job: Omit<StreamUploadJob, 'url'>,
  what: string,
): Promise<StreamUploadResult & CpuShares> {
  const cpu = cpuWindow(server.pid);
  const result = await runLoad<StreamUploadResult>('load/stream-upload-load.ts', { ...job, url: server.url });
  if (result.uploads !== job.concurrency) {
    throw new Error(
      `${what}: ${result.uploads}/${job.concurrency} uploads answered 200; statuses ${JSON.stringify(result.statuses)}, errors ${result.errors.join('; ')}`,
    );
  }
  return { ...result, ...cpu(result.cpuSeconds) };
}

/** One resumable upload (tus, `chunkSize` PATCHes) from a separate process; it must be stored. */
export async function measureTusUpload(
  server: ServerProcess,
  job: Omit<TusUploadJob, 'url'>,
  what: string,
): Promise<StreamUploadResult & CpuShares> {
  const cpu = cpuWindow(server.pid);
  const result = await runLoad<StreamUploadResult>('load/tus-upload-load.ts', { ...job, url: server.url });
  if (result.uploads !== 1)
    throw new Error(`${what}: not stored; statuses ${JSON.stringify(result.statuses)}, errors ${result.errors.join('; ')}`);
  return { ...result, ...cpu(result.cpuSeconds) };
}

/** Whole-file downloads streamed by a load process for the run's length; any non-200 fails it. */
export async function measureStreamDownload(
  ctx: BenchContext,
  server: ServerProcess,
  job: Omit<StreamDownloadJob, 'url' | 'durationSeconds'>,
  what: string,
): Promise<StreamDownloadResult & CpuShares> {
  const cpu = cpuWindow(server.pid);
  const result = await runLoad<StreamDownloadResult>('load/stream-download-load.ts', {
    ...job,
    url: server.url,
    durationSeconds: ctx.options.seconds,
  });
  if (Object.keys(result.unexpected).length > 0 || result.errors.length > 0 || result.bytes === 0) {
    throw new Error(
      `${what}: unexpected answers ${JSON.stringify(result.unexpected)}, errors ${result.errors.join('; ')}, ${result.bytes} bytes`,
    );
  }
  return { ...result, ...cpu(result.cpuSeconds) };
}

/**
 * Drops a large-upload run's few big files and flushes the disk, so the next run neither pays
 * for this one's writeback nor runs short of space. (Deleting a handful of files does not cause
 * the slow-create dip that deleting thousands does; small runs keep their files to the end.)
 */
export function dropLargeRun(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  execFileSync('sync');
}

/** One chat run from a separate process (load/chat-load.ts); clients dropped or errors fail it. */
export async function measureChat(server: ServerProcess, job: Omit<ChatLoadJob, 'url'>, what: string): Promise<ChatLoadResult & CpuShares> {
  const cpu = cpuWindow(server.pid);
  const url = `${server.url.replace(/^http/, 'ws')}/chat/ws`;
  const result = await runLoad<ChatLoadResult>('load/chat-load.ts', { ...job, url });
  if (result.closedEarly > 0 || result.errors.length > 0) {
    throw new Error(`${what}: ${result.closedEarly} clients closed by the server, errors ${result.errors.join('; ')}`);
  }
  return { ...result, ...cpu(result.cpuSeconds) };
}

/** One client walking a directory's pages for the run's length (load/listing-load.ts). */
export async function measureListing(
  ctx: BenchContext,
  server: ServerProcess,
  job: Omit<ListingLoadJob, 'url' | 'durationSeconds'>,
): Promise<ListingLoadResult & CpuShares> {
  const cpu = cpuWindow(server.pid);
  const result = await runLoad<ListingLoadResult>('load/listing-load.ts', {
    ...job,
    url: server.url,
    durationSeconds: ctx.options.seconds,
  });
  return { ...result, ...cpu(result.cpuSeconds) };
}
