import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, ListMultipartUploadsCommand, ListPartsCommand } from '@aws-sdk/client-s3';
import { Upload } from '@tus/utils';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PartedStore } from '../src/storage/parted-store.ts';
import type { S3Store } from '../src/storage/s3/s3-store.ts';
import type { BucketUploadInfo } from '../src/uploads/s3/bucket-upload-info.ts';
import { BucketUploadObjects } from '../src/uploads/s3/bucket-upload-objects.ts';
import { BucketUploadStore } from '../src/uploads/s3/bucket-upload-store.ts';
import { tusRequest } from '../src/uploads/tus/request-context.ts';
import { sha256 } from './helpers/media.ts';
import { freshBucket, s3Client } from './helpers/s3.ts';
import { chunksOf, openS3Store } from './helpers/s3-store.ts';
import { largeMp3 } from './helpers/tus.ts';
import { resumableKeys } from './helpers/tus-s3.ts';

const MiB = 1024 ** 2;
/** S3's smallest part: a few MiB make several. */
const PART = 5 * MiB;

// A PATCH's whole parts after the first go to the bucket while their bytes arrive (UploadPart with
// the body streamed from the request), on the run's Ceph RADOS Gateway.
describe('parts of a chunk streamed to the bucket as they arrive', () => {
  const rgw = inject('rgw');
  const client = s3Client(rgw);
  let bucket: string;
  let byteStore: S3Store;
  let store: BucketUploadStore;
  /** For each part streamed: its number, and how many bytes of the chunk had arrived when its send began. */
  const streamed: Array<{ partNumber: number; arrived: number }> = [];
  let arrived = 0;
  let partStreamed: () => void = () => undefined;

  beforeAll(async () => {
    bucket = await freshBucket(rgw);
    byteStore = await openS3Store(rgw, bucket, { partSize: PART });
    // The store's own multipart uploads, watched: which parts are streamed, and when.
    const parted: PartedStore = Object.create(byteStore.parted) as PartedStore;
    parted.streamPart = (...args) => {
      streamed.push({ partNumber: args[1], arrived });
      partStreamed();
      return byteStore.parted.streamPart(...args);
    };
    store = new BucketUploadStore(new BucketUploadObjects(client, bucket, '', 5000), { expireAfterMs: 60_000, parted });
  });
  afterAll(async () => {
    await byteStore?.close();
    client.destroy();
  });

  /** A chunk whose request declared `declared` bytes (its Content-Length). */
  const write = (id: string, offset: number, source: AsyncIterable<Buffer>, declared: number) =>
    tusRequest.run({ contentLength: declared }, () => store.write(Readable.from(source), id, offset));

  async function created(bytes: Buffer, filename: string): Promise<string> {
    const id = randomBytes(16).toString('hex');
    await store.create(new Upload({ id, size: bytes.length, offset: 0, metadata: { directory: 'streamed', filename } }));
    return id;
  }

  /** Completes the upload where its parts are; answers the stored object's bytes, read back with the SDK. */
  async function completed(id: string): Promise<{ sha256: string; stored: Buffer }> {
    const record = await store.readRecord(id);
    const object = (await store.sentInPlace(record!))!;
    const made = await object.complete({ contentType: 'audio/mpeg' });
    const read = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `streamed/${made.key.name}` }));
    return { sha256: object.sha256, stored: Buffer.from(await read.Body!.transformToByteArray()) };
  }

  const partsOf = async (id: string) => {
    const { multipart } = ((await store.readRecord(id)) as BucketUploadInfo).inPlace!;
    const listed = await client.send(
      new ListPartsCommand({ Bucket: bucket, Key: `streamed/${multipart!.key.name}`, UploadId: multipart!.uploadId }),
    );
    return (listed.Parts ?? []).map((part) => [part.PartNumber, part.Size]);
  };

  it('begins sending a whole part after the first before its bytes are in, and the object holds the chunk', async () => {
    const bytes = largeMp3(3 * PART + 1000);
    const id = await created(bytes, 'whole.mp3');
    const untilStreamed = new Promise<void>((resolve) => (partStreamed = resolve));
    // The first part and 1 MiB of the second, then nothing more until the second part's send has begun.
    async function* source(): AsyncGenerator<Buffer> {
      for await (const chunk of chunksOf(bytes.subarray(0, PART + MiB))) {
        arrived += chunk.length;
        yield chunk;
      }
      await Promise.race([untilStreamed, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      for await (const chunk of chunksOf(bytes.subarray(PART + MiB))) {
        arrived += chunk.length;
        yield chunk;
      }
    }
    arrived = 0;
    streamed.length = 0;
    expect(await write(id, 0, source(), bytes.length)).toBe(bytes.length);
    // Parts 2 and 3 streamed, each begun before its last byte had come (the source reads a little
    // ahead); the first (judged) and the short last one held whole.
    expect(streamed.map(({ partNumber }) => partNumber)).toEqual([2, 3]);
    expect(streamed[0]!.arrived).toBeLessThanOrEqual(PART + MiB);
    expect(streamed[1]!.arrived).toBeLessThan(3 * PART);
    expect(await partsOf(id)).toEqual([
      [1, PART],
      [2, PART],
      [3, PART],
      [4, bytes.length - 3 * PART],
    ]);
    const { sha256: digest, stored } = await completed(id);
    expect(digest).toBe(sha256(bytes));
    expect(stored.equals(bytes)).toBe(true);
  });

  it('holds every part whole when the request declared no length (a chunked body)', async () => {
    const bytes = largeMp3(2 * PART);
    const id = await created(bytes, 'chunked.mp3');
    streamed.length = 0;
    expect(await tusRequest.run({}, () => store.write(Readable.from(chunksOf(bytes)), id, 0))).toBe(bytes.length);
    expect(streamed).toEqual([]);
    expect((await completed(id)).stored.equals(bytes)).toBe(true);
  });

  it('counts a chunk that ended inside a streamed part up to the part before it; the next chunk carries on with the right sha256', async () => {
    const bytes = largeMp3(3 * PART);
    const id = await created(bytes, 'cut.mp3');
    // The request declared the whole file but its body ended 2 MiB into the second part (its client was cut off).
    expect(await write(id, 0, chunksOf(bytes.subarray(0, PART + 2 * MiB)), bytes.length)).toBe(PART);
    const record = (await store.readRecord(id)) as BucketUploadInfo;
    expect(record.offset).toBe(PART);
    expect(record.inPlace!.incomplete).toBeUndefined();
    // The gateway made nothing of the cut part: the UploadPart whose body stopped short failed.
    expect(await partsOf(id)).toEqual([[1, PART]]);
    expect((await resumableKeys(rgw, bucket)).filter((key) => key.includes(id))).toEqual([`.resumable/${id}/info.json`]);

    const rest = bytes.subarray(PART);
    expect(await write(id, PART, chunksOf(rest), rest.length)).toBe(bytes.length);
    const { sha256: digest, stored } = await completed(id);
    expect(digest).toBe(sha256(bytes));
    expect(stored.equals(bytes)).toBe(true);
    const pending = (await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];
    expect(pending.filter((upload) => upload.Key === 'streamed/cut.mp3')).toEqual([]);
  });

  it('fails the chunk whose body errs inside a streamed part; its offset and hash stay at the last counted part', async () => {
    const bytes = largeMp3(3 * PART);
    const id = await created(bytes, 'reset.mp3');
    async function* reset(): AsyncGenerator<Buffer> {
      yield* chunksOf(bytes.subarray(0, 2 * PART + MiB));
      throw new Error('connection reset');
    }
    await expect(write(id, 0, reset(), bytes.length)).rejects.toThrow('connection reset');
    expect((await store.getUpload(id)).offset).toBe(2 * PART);
    expect(await partsOf(id)).toEqual([
      [1, PART],
      [2, PART],
    ]);
    const rest = bytes.subarray(2 * PART);
    expect(await write(id, 2 * PART, chunksOf(rest), rest.length)).toBe(bytes.length);
    const { sha256: digest, stored } = await completed(id);
    expect(digest).toBe(sha256(bytes));
    expect(stored.equals(bytes)).toBe(true);
  });
});
