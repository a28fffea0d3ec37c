import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { fixture, sha256 } from './helpers/media.ts';
import { freshBucket, s3Client } from './helpers/s3.ts';
import { s3Backend } from './helpers/s3-service.ts';
import { downloaded } from './helpers/stored.ts';

/** What another S3 client sees of an object: its bytes and everything HeadObject tells. */
async function seen(client: ReturnType<typeof s3Client>, bucket: string, key: string) {
  const head: HeadObjectCommandOutput = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  const body = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const { ETag, ContentType, CacheControl, Metadata, ContentLength, LastModified } = head;
  return { ETag, ContentType, CacheControl, Metadata, ContentLength, LastModified, bytes: sha256(await body.Body!.transformToByteArray()) };
}

// Objects another S3 client wrote into the bucket are read, never written: what the service
// learns of them lives in memory and in a sidecar of its own.
describe('S3 backend and objects another client wrote', () => {
  const rgw = inject('rgw');
  const client = s3Client(rgw);
  let bucket: string;
  let service: RunningService;
  const bytes = fixture('tone-id3.mp3');
  const forged = 'f'.repeat(64);

  beforeAll(async () => {
    bucket = await freshBucket(rgw);
    service = await startService(s3Backend(rgw, bucket));
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'foreign/song.mp3',
        Body: bytes,
        ContentType: 'audio/mpeg',
        CacheControl: 'public, max-age=86400',
        // Its own metadata, with a sha256 that is not that of its bytes.
        Metadata: { artist: 'Someone Else', sha256: forged, 'origin-tool': 'sync 1.0' },
      }),
    );
  });
  afterAll(async () => {
    await service?.close();
    client.destroy();
  });

  it('lists and serves a foreign object and leaves it byte- and metadata-identical', async () => {
    const before = await seen(client, bucket, 'foreign/song.mp3');
    const listed = await request(service.url).get('/media').query({ directory: 'foreign' });
    expect(listed.body.files).toEqual([
      expect.objectContaining({
        filename: 'song.mp3',
        sha256: sha256(bytes),
        contentType: 'audio/mpeg',
        metadata: expect.objectContaining({ title: 'Test Tone' }),
      }),
    ]);
    const got = await request(service.url).get('/media/foreign/song.mp3');
    expect(got.status).toBe(200);
    expect(got.headers.etag).toBe(`"${sha256(bytes)}"`);
    expect(sha256((await downloaded(service.url, 'foreign', 'song.mp3'))!)).toBe(sha256(bytes));
    expect(await seen(client, bucket, 'foreign/song.mp3')).toEqual(before);
    expect(before).toMatchObject({
      ContentType: 'audio/mpeg',
      CacheControl: 'public, max-age=86400',
      Metadata: { artist: 'Someone Else', sha256: forged, 'origin-tool': 'sync 1.0' },
    });
  });

  it('never serves a foreign x-amz-meta-sha256 as the ETag, on a host new to the object', async () => {
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'foreign/forged.mp3', Body: fixture('tone.mp3'), Metadata: { sha256: forged } }),
    );
    const other = await startService(s3Backend(rgw, bucket));
    try {
      const head = await request(other.url).head('/media/foreign/forged.mp3');
      expect(head.headers.etag).toBe(`"${sha256(fixture('tone.mp3'))}"`);
      const listed = await request(other.url).get('/media').query({ directory: 'foreign' });
      expect(listed.body.files.map((f: { filename: string; sha256: string }) => [f.filename, f.sha256])).toEqual([
        ['forged.mp3', sha256(fixture('tone.mp3'))],
        ['song.mp3', sha256(bytes)],
      ]);
    } finally {
      await other.close();
    }
  });
});
