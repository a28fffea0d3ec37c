import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mapBounded } from '../../src/storage/s3/bounded.ts';
import { LIST_HEAD_CONCURRENCY } from '../../src/storage/s3/s3-listing.ts';
import type { S3Store } from '../../src/storage/s3/s3-store.ts';
import { sha256 } from '../helpers/media.ts';
import { freshBucket, s3Client } from '../helpers/s3.ts';
import { startS3Recorder, type S3Recorder } from '../helpers/s3-recorder.ts';
import { openS3Store } from '../helpers/s3-store.ts';

const FILES = 100;
const nameOf = (i: number) => `f-${String(i).padStart(3, '0')}.mp3`;

// S3 lists no user metadata: a page is described by HeadObject, a bounded number at a time, and
// what a process learnt of an object is kept by key and ETag, which never change together.
describe('S3 listing: a page of 100', () => {
  const rgw = inject('rgw');
  const client = s3Client(rgw);
  let bucket: string;
  let recorder: S3Recorder;
  let writer: S3Store;
  let reader: S3Store;

  beforeAll(async () => {
    bucket = await freshBucket(rgw);
    writer = await openS3Store(rgw, bucket);
    await mapBounded(
      Array.from({ length: FILES }, (_, i) => i),
      8,
      async (i) => writer.commit(await writer.stage(Buffer.from(`file ${i}`)), { directory: 'lib', name: nameOf(i) }, { title: `T ${i}` }),
    );
    // Another host: it has described nothing yet, and reaches the gateway through the recorder.
    recorder = await startS3Recorder(rgw.endpoint, { headDelayMs: 20 });
    reader = await openS3Store(rgw, bucket, { endpoint: recorder.url });
  });
  afterAll(async () => {
    await Promise.all([writer?.close(), reader?.close()]);
    await recorder?.close();
    client.destroy();
  });

  it('describes a page new to this host with one listing and a HEAD per file, at most 16 in flight', async () => {
    recorder.reset();
    const page = await reader.list('lib', { limit: 100 });
    expect(page!.objects.map((o) => [o.key.name, o.attributes])).toEqual(
      Array.from({ length: FILES }, (_, i) => [nameOf(i), { title: `T ${i}` }]),
    );
    expect(recorder.traffic).toMatchObject({ lists: 1, heads: FILES });
    expect(recorder.traffic.mostHeadsInFlight).toBeGreaterThan(1);
    expect(recorder.traffic.mostHeadsInFlight).toBeLessThanOrEqual(LIST_HEAD_CONCURRENCY);
  });

  it('lists the same page again with no HEAD at all', async () => {
    recorder.reset();
    const page = await reader.list('lib', { limit: 100 });
    expect(page!.objects).toHaveLength(FILES);
    expect(page!.objects[7]).toMatchObject({ sha256: sha256(Buffer.from('file 7')), attributes: { title: 'T 7' } });
    expect(recorder.traffic).toMatchObject({ lists: 1, heads: 0 });
  });

  it('describes anew only a file replaced by other means (a new ETag)', async () => {
    const replacement = Buffer.from('replaced by hand');
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: `lib/${nameOf(7)}` }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: `lib/${nameOf(7)}`, Body: replacement }));
    recorder.reset();
    const page = await reader.list('lib', { limit: 100 });
    expect(recorder.traffic.heads).toBe(1);
    expect(page!.objects[7]).toMatchObject({ key: { name: nameOf(7) }, sha256: sha256(replacement), size: replacement.length });
    expect(page!.objects[7]!.attributes).toBeUndefined();
  });
});

// Every page names all subdirectories; finding them takes a listing of the directory to its end.
// Done once per walk (kept by the store a while), not once per page: the walk stays linear.
describe('S3 listing: a walk of 1,500 files in pages of 100', () => {
  const WALKED = 1_500;
  const PAGE = 100;
  const rgw = inject('rgw');
  let bucket: string;
  let recorder: S3Recorder;
  let writer: S3Store;
  let reader: S3Store;

  beforeAll(async () => {
    bucket = await freshBucket(rgw);
    writer = await openS3Store(rgw, bucket);
    const names = Array.from({ length: WALKED }, (_, i) => `w-${String(i).padStart(5, '0')}.mp3`);
    await mapBounded(names, 16, async (name) => writer.commit(await writer.stage(Buffer.from(name)), { directory: 'walk', name }, {}));
    await writer.commit(await writer.stage(Buffer.from('sub')), { directory: 'walk/sub', name: 'x.mp3' }, {});
    recorder = await startS3Recorder(rgw.endpoint);
    reader = await openS3Store(rgw, bucket, { endpoint: recorder.url });
  }, 120_000);
  afterAll(async () => {
    await Promise.all([writer?.close(), reader?.close()]);
    await recorder?.close();
  });

  it('costs each page its own listing and HEADs, and the walk one scan of the directory', async () => {
    recorder.reset();
    const seen: string[] = [];
    const perPage: Array<{ lists: number; heads: number }> = [];
    let after: string | undefined;
    for (let page = 0; page < WALKED / PAGE + 2; page++) {
      const before = { ...recorder.traffic };
      const listed = (await reader.list('walk', { limit: PAGE, after }))!;
      perPage.push({ lists: recorder.traffic.lists - before.lists, heads: recorder.traffic.heads - before.heads });
      expect(listed.directories).toEqual(['sub']);
      seen.push(...listed.objects.map((o) => o.key.name));
      after = listed.nextAfter;
      if (after === undefined) break;
    }
    expect(seen).toHaveLength(WALKED);
    expect(new Set(seen).size).toBe(WALKED);
    // The first page also scans the directory to its end (1,000 entries a request).
    expect(perPage[0]!.lists).toBeLessThanOrEqual(1 + Math.ceil(WALKED / 1000) + 1);
    for (const cost of perPage.slice(1)) expect(cost).toMatchObject({ lists: 1, heads: expect.any(Number) });
    for (const cost of perPage) expect(cost.heads).toBeLessThanOrEqual(PAGE);
    expect(recorder.traffic.lists).toBeLessThanOrEqual(WALKED / PAGE + Math.ceil(WALKED / 1000) + 1);
  }, 60_000);

  it('shows a subdirectory this process creates on the next page at once', async () => {
    const first = (await reader.list('walk', { limit: PAGE }))!;
    await reader.commit(await reader.stage(Buffer.from('new')), { directory: 'walk/new-sub', name: 'y.mp3' }, {});
    const second = (await reader.list('walk', { limit: PAGE, after: first.nextAfter }))!;
    expect(second.directories).toEqual(['new-sub', 'sub']);
  });
});
