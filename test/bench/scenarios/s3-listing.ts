import { startCephRgw, type CephRgw } from '../../helpers/ceph-rgw.ts';
import { mapBounded } from '../../../src/storage/s3/bounded.ts';
import { MULTIPART_TYPE, mp3Bytes, multipartBody } from '../lib/bodies.ts';
import type { BenchContext } from '../lib/context.ts';
import { measureListing } from '../lib/load.ts';
import { makeRow } from '../lib/results.ts';
import { freshBucket } from '../../helpers/s3.ts';
import { s3Service } from '../lib/s3.ts';
import type { Scenario } from './scenario.ts';

const FILES = 1_000;
const PAGE = 100;
const DIRECTORY = 'list-1000';

type ListingFigures = { p50Ms: number; p99Ms: number; firstPageMs: number; backgroundCpuPct: number };

/** 1,000 files uploaded through the API (16 at a time), so each carries the store's metadata. */
async function seed(ctx: BenchContext, rgw: CephRgw, bucket: string): Promise<void> {
  const server = await s3Service(ctx, rgw, ctx.freshDir('s3-listing-seed'), bucket);
  try {
    const body = mp3Bytes(64 * 1024);
    await mapBounded(
      Array.from({ length: FILES }, (_, i) => `file-${String(i).padStart(4, '0')}.mp3`),
      16,
      async (name) => {
        const res = await fetch(`${server.url}/media`, {
          method: 'POST',
          headers: { 'content-type': MULTIPART_TYPE },
          body: new Uint8Array(multipartBody(DIRECTORY, name, body)),
        });
        if (res.status !== 200) throw new Error(`s3 listing setup: upload answered ${res.status}: ${await res.text()}`);
      },
    );
  } finally {
    await server.stop();
  }
}

/** A service process new to the bucket: its first walk describes every file (HEADs), later walks only list. */
async function listingRun(ctx: BenchContext, rgw: CephRgw, bucket: string): Promise<ListingFigures> {
  const server = await s3Service(ctx, rgw, ctx.freshDir('s3-listing'), bucket);
  try {
    const result = await measureListing(ctx, server, { directory: DIRECTORY, limit: PAGE, maxPages: FILES / PAGE, expectedFiles: FILES });
    return {
      p50Ms: result.latencyP50Ms,
      p99Ms: result.latencyP99Ms,
      firstPageMs: result.firstWalkMs / (FILES / PAGE),
      backgroundCpuPct: result.backgroundCpuPct,
    };
  } finally {
    await server.stop();
  }
}

/**
 * Issue 16: GET /media of a directory of 1,000 files on a Ceph RADOS Gateway, a page of 100. A
 * host that has not described a page yet sends one ListObjectsV2 and 100 HeadObjects (16 at a
 * time); then it knows each file by key and ETag, and a page is one ListObjectsV2.
 */
export const s3Listing: Scenario = {
  name: 's3 listing on Ceph RGW, page of 100',
  module: 'media',
  async run(ctx) {
    const rgw = await startCephRgw();
    try {
      const bucket = await freshBucket(rgw);
      await seed(ctx, rgw, bucket);
      const { s3 } = await ctx.interleave<{ s3: ListingFigures }>('s3 listing', { s3: () => listingRun(ctx, rgw, bucket) });
      const common = { scenario: this.name, unit: 'ms', target: { report: true } as const, backgroundCpuPct: s3.median.backgroundCpuPct };
      const figure = (label: string, key: keyof ListingFigures) =>
        makeRow({ ...common, figure: label, value: s3.median[key], runs: s3.runs.map((run) => run[key]), discardedRuns: s3.discarded });
      return [
        figure('p50, 1,000 files, pages this host has described (1 ListObjectsV2)', 'p50Ms'),
        figure('p99, 1,000 files, pages this host has described', 'p99Ms'),
        figure('first walk of 10 pages by a new host, mean per page (+100 HeadObject, 16 at a time)', 'firstPageMs'),
      ];
    } finally {
      await rgw.stop();
    }
  },
};
