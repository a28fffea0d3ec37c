import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MULTIPART_TYPE, mp3Bytes, multipartBody } from '../lib/bodies.ts';
import type { BenchContext } from '../lib/context.ts';
import { measureListing } from '../lib/load.ts';
import { makeRow, type ResultRow } from '../lib/results.ts';
import { startService } from '../lib/service.ts';
import type { Scenario } from './scenario.ts';

const SIZES = [1_000, 10_000, 100_000] as const;
const PAGE = 100;
/** A walk covers at most this many pages (5,000 files) before starting again at the first. */
const MAX_PAGES = 50;
/** Files per directory uploaded through the API; the rest are copied in by hand. */
const UPLOADED = 3;
/** How much slower a page of a large directory may be than one of 1,000 files (noise, not growth). */
const GROWTH_ALLOWED = 1.5;
const TONE = readFileSync(new URL('../../fixtures/tone.mp3', import.meta.url));

type Size = (typeof SIZES)[number];
type ListingFigures = { p50Ms: number; p99Ms: number; backgroundCpuPct: number };

const directoryOf = (size: Size) => `list-${size}`;
const count = (size: number) => size.toLocaleString('en-US');

/**
 * One storage root with a directory per size. A few files arrive through the API; the rest are
 * written into `<root>/<directory>/` by hand (a small real MP3 each, its own inode), as a user
 * copying files in would: the service must list them too. Nothing is deleted until the bench ends.
 */
function listingRoot(ctx: BenchContext): Promise<string> {
  return ctx.memo('listing files', async () => {
    const root = ctx.freshDir('listing');
    const service = await startService({ root });
    try {
      for (const size of SIZES) {
        for (let i = 0; i < UPLOADED; i++) {
          const res = await fetch(`${service.url}/media`, {
            method: 'POST',
            headers: { 'content-type': MULTIPART_TYPE },
            body: new Uint8Array(multipartBody(directoryOf(size), `uploaded-${i}.mp3`, mp3Bytes(64 * 1024))),
          });
          if (res.status !== 200) throw new Error(`listing setup: upload answered ${res.status}: ${await res.text()}`);
        }
      }
    } finally {
      await service.stop();
    }
    const started = Date.now();
    for (const size of SIZES) {
      const directory = path.join(root, directoryOf(size));
      for (let i = 0; i < size - UPLOADED; i++)
        writeFileSync(path.join(directory, `copied-${String(i).padStart(6, '0')}.mp3`), TONE, { flag: 'wx' });
    }
    ctx.log(`listing setup: ${SIZES.map(count).join(' + ')} files in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return root;
  });
}

/** The first walk of each directory after its files were copied in: the service sees them for the first time. */
const firstSight = new Map<Size, number>();

async function listingRun(ctx: BenchContext, root: string, size: Size): Promise<ListingFigures> {
  const service = await startService({ root, cpuProfDir: ctx.options.cpuProfDir });
  try {
    const result = await measureListing(ctx, service, {
      directory: directoryOf(size),
      limit: PAGE,
      maxPages: MAX_PAGES,
      expectedFiles: size,
    });
    if (!firstSight.has(size)) firstSight.set(size, result.firstWalkMs);
    return { p50Ms: result.latencyP50Ms, p99Ms: result.latencyP99Ms, backgroundCpuPct: result.backgroundCpuPct };
  } finally {
    await service.stop();
  }
}

/**
 * Issue 15: GET /media of a directory, a page of 100, one client walking the pages by cursor,
 * for directories of 1,000, 10,000 and 100,000 files. The p50 of a page must not grow with the
 * directory: the larger directories are judged against the one of 1,000 files.
 */
export const listing: Scenario = {
  name: 'listing a directory, page of 100',
  module: 'media',
  async run(ctx) {
    const root = await listingRoot(ctx);
    const measured = await ctx.interleave<Record<`n${Size}`, ListingFigures>>(
      'listing',
      Object.fromEntries(SIZES.map((size) => [`n${size}`, () => listingRun(ctx, root, size)])) as Record<
        `n${Size}`,
        () => Promise<ListingFigures>
      >,
    );
    const smallest = measured[`n${SIZES[0]}`];
    const rows: ResultRow[] = [];
    for (const size of SIZES) {
      const figures = measured[`n${size}`];
      const judged = size !== SIZES[0];
      const common = {
        scenario: this.name,
        unit: 'ms',
        backgroundCpuPct: figures.median.backgroundCpuPct,
        discardedRuns: figures.discarded,
      };
      rows.push(
        makeRow({
          ...common,
          figure: `p50, ${count(size)} files`,
          value: figures.median.p50Ms,
          runs: figures.runs.map((run) => run.p50Ms),
          ...(judged ? { baseline: { name: `${count(SIZES[0])} files`, value: smallest.median.p50Ms } } : {}),
          target: judged ? { ratioAtMost: GROWTH_ALLOWED } : { report: true },
        }),
        makeRow({
          ...common,
          figure: `p99, ${count(size)} files`,
          value: figures.median.p99Ms,
          runs: figures.runs.map((run) => run.p99Ms),
          target: { report: true },
        }),
      );
    }
    // Once, not a median: only the first walk meets files no listing has seen yet.
    rows.push(
      ...SIZES.map((size) =>
        makeRow({
          scenario: this.name,
          figure: `first walk of ${Math.min(MAX_PAGES, size / PAGE)} pages after the files were copied in, ${count(size)} files`,
          unit: 'ms',
          value: firstSight.get(size)!,
          runs: [firstSight.get(size)!],
          target: { report: true },
        }),
      ),
    );
    return rows;
  },
};
