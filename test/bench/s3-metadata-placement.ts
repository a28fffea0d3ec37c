/**
 * Where a multipart object's sha256 and attributes can live on the RGW, and what each place costs
 * a listing and a download: user metadata (single PUT only), object tags, a small metadata object
 * beside it, a copy of the object onto itself. Run: node_modules/.bin/node test/bench/s3-metadata-placement.ts
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectTaggingCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { startCephRgw } from '../helpers/ceph-rgw.ts';
import { createS3Client } from '../../src/storage/s3/s3-client.ts';

const OBJECTS = 50;
const ROUNDS = 5;
const PART = 5 * 1024 * 1024;
const sha256 = 'a'.repeat(64);
const attributes = JSON.stringify({ duration: 12.5, codec: 'mp3', sampleRate: 44100 });

const rgw = await startCephRgw({ memstoreBytes: 2 * 1024 ** 3 });
try {
  process.env.AWS_ACCESS_KEY_ID = rgw.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = rgw.secretAccessKey;
  const s3 = createS3Client({
    endpoint: rgw.endpoint,
    region: rgw.region,
    forcePathStyle: true,
    timeoutMs: 30_000,
    maxSockets: 16,
    maxAttempts: 1,
  });
  const Bucket = 'placement';
  await s3.send(new CreateBucketCommand({ Bucket }));
  const part = Buffer.alloc(PART, 7);

  async function multipart(Key: string): Promise<void> {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    const parts = [];
    for (let n = 1; n <= 2; n++) {
      const { ETag } = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: n, Body: part }));
      parts.push({ ETag, PartNumber: n });
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }));
  }

  const time = async (fn: () => Promise<unknown>): Promise<number> => {
    const samples: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const t = performance.now();
      await fn();
      samples.push(performance.now() - t);
    }
    samples.sort((a, b) => a - b);
    return samples[Math.floor(ROUNDS / 2)]!;
  };

  const keys = Array.from({ length: OBJECTS }, (_, i) => `m/${String(i).padStart(3, '0')}.mp3`);
  for (const Key of keys) {
    await multipart(Key);
    await s3.send(new PutObjectTaggingCommand({ Bucket, Key, Tagging: { TagSet: [{ Key: 'sha256', Value: sha256 }] } }));
    await s3.send(new PutObjectCommand({ Bucket, Key: `meta/${Key}.json`, Body: JSON.stringify({ sha256, attributes }) }));
  }

  const write = {
    tagging: await time(() =>
      s3.send(new PutObjectTaggingCommand({ Bucket, Key: keys[0], Tagging: { TagSet: [{ Key: 'sha256', Value: sha256 }] } })),
    ),
    sidecarPut: await time(() =>
      s3.send(new PutObjectCommand({ Bucket, Key: `meta/${keys[0]}.json`, Body: JSON.stringify({ sha256, attributes }) })),
    ),
    selfCopy: await time(() =>
      s3.send(
        new CopyObjectCommand({
          Bucket,
          Key: keys[1],
          CopySource: `${Bucket}/${keys[1]}`,
          MetadataDirective: 'REPLACE',
          Metadata: { sha256, attributes },
        }),
      ),
    ),
  };
  const list = () => s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'm/' }));
  const listing = {
    listOnly: await time(list),
    listPlusHeadEach: await time(async () => {
      await list();
      await Promise.all(keys.map((Key) => s3.send(new HeadObjectCommand({ Bucket, Key }))));
    }),
    listPlusTagsEach: await time(async () => {
      await list();
      await Promise.all(keys.map((Key) => s3.send(new GetObjectTaggingCommand({ Bucket, Key }))));
    }),
    listPlusSidecarEach: await time(async () => {
      await list();
      await Promise.all(
        keys.map(async (Key) => (await s3.send(new GetObjectCommand({ Bucket, Key: `meta/${Key}.json` }))).Body!.transformToString()),
      );
    }),
  };
  const get = async (Key: string) => {
    const out = await s3.send(new GetObjectCommand({ Bucket, Key }));
    await out.Body!.transformToByteArray();
  };
  const download = {
    getAlone: await time(() => get(keys[2]!)),
    getWithTags: await time(() => Promise.all([get(keys[2]!), s3.send(new GetObjectTaggingCommand({ Bucket, Key: keys[2] }))])),
    getWithSidecar: await time(() => Promise.all([get(keys[2]!), get(`meta/${keys[2]}.json`)])),
    headAlone: await time(() => s3.send(new HeadObjectCommand({ Bucket, Key: keys[2] }))),
    tagsAlone: await time(() => s3.send(new GetObjectTaggingCommand({ Bucket, Key: keys[2] }))),
    sidecarAlone: await time(() => get(`meta/${keys[2]}.json`)),
  };
  const round = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v * 10) / 10]));
  console.log(
    JSON.stringify(
      {
        objects: OBJECTS,
        objectMiB: (2 * PART) / 1024 ** 2,
        medianOfRounds: ROUNDS,
        ms: { write: round(write), listing: round(listing), download: round(download) },
      },
      null,
      2,
    ),
  );
} finally {
  await rgw.stop();
}
