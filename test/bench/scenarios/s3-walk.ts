import fs from 'node:fs/promises';
import path from 'node:path';
import { mapBounded } from '../../../src/storage/s3/bounded.ts';
import { S3Store } from '../../../src/storage/s3/s3-store.ts';
import { startCephRgw, type CephRgw } from '../../helpers/ceph-rgw.ts';
import { freshBucket } from '../../helpers/s3.ts';
import { startS3Recorder, type S3Recorder } from '../../helpers/s3-recorder.ts';
import { rgwStoreOptions, useRgwCredentials } from '../../helpers/s3-store.ts';
import type { BenchContext } from '../lib/context.ts';
import { makeRow, type ResultRow } from '../lib/results.ts';
import { s3Service } from '../lib/s3.ts';
import type { Scenario } from './scenario.ts';

const SIZES = [5_000, 50_000];
const PAGE = 100;

interface Walk {
  seconds: number;
  lists: number;
  heads: number;
}

/** `count` small objects committed by the store itself (so each carries its metadata), 32 at a time. */
async function seed(ctx: BenchContext, rgw: CephRgw, bucket: string, directory: string, count: number): Promise<void> {
  useRgwCredentials(rgw);
  const staging = ctx.freshDir(`s3-walk-seed-${count}`);
  const store = await S3Store.open(rgwStoreOptions(rgw, bucket, path.join(staging, '.incoming')));
  try {
    const started = Date.now();
    await mapBounded(
      Array.from({ length: count }, (_, i) => `f-${String(i).padStart(6, '0')}.mp3`),
      32,
      async (name) =>
        store.commit(await store.stage(Buffer.from(name)), { directory, name }, { contentType: 'audio/mpeg', metadata: null }),
    );
    ctx.log(`s3 walk: ${count} objects committed in ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    await store.close();
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/** GET /media pages of 100 from the first to the last, counting what reached the gateway. */
async function walk(url: string, recorder: S3Recorder, directory: string, expected: number): Promise<Walk> {
  recorder.reset();
  const started = process.hrtime.bigint();
  let files = 0;
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ directory, limit: String(PAGE), ...(cursor ? { cursor } : {}) });
    const res = await fetch(`${url}/media?${query}`);
    if (res.status !== 200) throw new Error(`s3 walk: listing answered ${res.status}: ${await res.text()}`);
    const page = (await res.json()) as { files: unknown[]; nextCursor?: string };
    files += page.files.length;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  if (files !== expected) throw new Error(`s3 walk: ${files} files listed, ${expected} expected`);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, lists: recorder.traffic.lists, heads: recorder.traffic.heads };
}

/**
 * Issue 29: a walk of a whole directory on the S3 backend (pages of 100, one client), by a service
 * process new to the bucket (it describes every file once: a HeadObject each) and again by the same
 * process (it knows them all: listings only). Requests are counted by a relay in front of the
 * gateway. The walk used to re-list the directory from its start for every page (its
 * subdirectories): 349 ListObjectsV2 for 5,000 files.
 */
export const s3Walk: Scenario = {
  name: 's3 directory walk on Ceph RGW, pages of 100',
  module: 'media',
  async run(ctx) {
    const rgw = await startCephRgw();
    const recorder = await startS3Recorder(rgw.endpoint);
    try {
      const bucket = await freshBucket(rgw);
      const rows: ResultRow[] = [];
      for (const count of SIZES) {
        const directory = `walk-${count}`;
        await seed(ctx, rgw, bucket, directory, count);
        const server = await s3Service(ctx, { ...rgw, endpoint: recorder.url }, ctx.freshDir(`s3-walk-${count}`), bucket);
        try {
          const first = await walk(server.url, recorder, directory, count);
          const again = await walk(server.url, recorder, directory, count);
          ctx.log(`s3 walk ${count}: first ${JSON.stringify(first)}, again ${JSON.stringify(again)}`);
          const row = (figure: string, unit: string, value: number) =>
            makeRow({
              scenario: this.name,
              figure: `${count.toLocaleString('en')} files: ${figure}`,
              unit,
              value,
              runs: [value],
              target: { report: true },
            });
          rows.push(
            row('first walk by a new host', 's', first.seconds),
            row('first walk, ListObjectsV2 requests', 'requests', first.lists),
            row('first walk, HeadObject requests', 'requests', first.heads),
            row('walk again (all described)', 's', again.seconds),
            row('walk again, ListObjectsV2 requests', 'requests', again.lists),
            row('walk again, HeadObject requests', 'requests', again.heads),
          );
        } finally {
          await server.stop();
        }
      }
      return rows;
    } finally {
      await recorder.close();
      await rgw.stop();
    }
  },
};
