import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { S3Store } from '../../src/storage/s3/s3-store.ts';
import { freshBucket, s3Client } from '../helpers/s3.ts';
import { chunksOf, openS3Store } from '../helpers/s3-store.ts';
import { readObject } from './byte-store-contract.ts';

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');
const key = (directory: string, name: string) => ({ directory, name });

describe('S3Store on a real Ceph RADOS Gateway', () => {
  const rgw = inject('rgw');
  const client = s3Client(rgw);
  let bucket: string;
  let store: S3Store;

  beforeAll(async () => {
    bucket = await freshBucket(rgw);
    store = await openS3Store(rgw, bucket, { prefix: 'media' });
  });
  afterAll(async () => {
    await store.close();
    client.destroy();
  });

  it('commits staged bytes with their sha256 and attributes in the object’s own metadata', async () => {
    const bytes = Buffer.from('ID3 small file');
    const staged = await store.stage(bytes);
    const attributes = { contentType: 'audio/mpeg', metadata: { title: 'Été – 夏', artist: 'x"y' } };
    const stored = await store.commit(staged, key('songs', 'a.mp3'), attributes);
    expect(stored).toMatchObject({ size: bytes.length, sha256: sha256(bytes), attributes });

    const raw = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'media/songs/a.mp3' }));
    expect(raw.ContentType).toBe('audio/mpeg');
    expect(raw.Metadata?.sha256).toBe(sha256(bytes));
    expect(JSON.parse(raw.Metadata!.attributes!)).toEqual(attributes);
    expect(await store.head(key('songs', 'a.mp3'))).toMatchObject({ size: bytes.length, sha256: sha256(bytes), attributes });
  });

  it('streams a large upload through a staging file, and reads it whole or by range', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const staged = await store.stage(Readable.from(chunksOf(bytes)));
    const stored = await store.commit(staged, key('songs', 'big.wav'), { contentType: 'audio/wav', metadata: null });
    expect(stored.sha256).toBe(sha256(bytes));
    const whole = Buffer.concat(await (await readObject(store, key('songs', 'big.wav')))!.toArray());
    expect(whole.equals(bytes)).toBe(true);
    const part = Buffer.concat(await (await readObject(store, key('songs', 'big.wav'), { start: 1000, end: 1999 }))!.toArray());
    expect(part.equals(bytes.subarray(1000, 2000))).toBe(true);
    expect(await store.staged()).toEqual([]);
  });

  it('never replaces: a second commit of a key is FILE_EXISTS and the first bytes stay', async () => {
    await store.commit(await store.stage(Buffer.from('first')), key('keep', 'one.mp3'), {});
    const second = store.commit(await store.stage(Buffer.from('second')), key('keep', 'one.mp3'), {});
    await expect(second).rejects.toMatchObject({ codeName: 'FILE_EXISTS', code: 501 });
    expect(await text((await readObject(store, key('keep', 'one.mp3')))!)).toBe('first');
    expect(await store.staged()).toEqual([]);
  });

  it('lets exactly one of 20 concurrent commits of one key win, and the object is wholly its bytes', async () => {
    const bodies = Array.from({ length: 20 }, (_, i) => Buffer.concat([Buffer.from(`writer ${i} `), randomBytes(300 * 1024)]));
    const staged = await Promise.all(bodies.map((body) => store.stage(Readable.from(chunksOf(body)))));
    const outcomes = await Promise.allSettled(staged.map((s) => store.commit(s, key('race', 'same.mp3'), {})));
    const winners = outcomes.flatMap((outcome, i) => (outcome.status === 'fulfilled' ? [i] : []));
    expect(winners).toHaveLength(1);
    for (const outcome of outcomes) if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ codeName: 'FILE_EXISTS' });
    const stored = Buffer.concat(await (await readObject(store, key('race', 'same.mp3')))!.toArray());
    expect(stored.equals(bodies[winners[0]!]!)).toBe(true);
    expect((await store.head(key('race', 'same.mp3')))!.sha256).toBe(sha256(bodies[winners[0]!]!));
  });

  it('keeps attributes too large for S3 user metadata in an object of their own, written first', async () => {
    const attributes = { contentType: 'audio/mpeg', metadata: { title: 'long '.repeat(1000) } };
    await store.commit(await store.stage(Buffer.from('tagged')), key('tags', 'long.mp3'), attributes);
    expect((await store.head(key('tags', 'long.mp3')))!.attributes).toEqual(attributes);
    const page = await store.list('tags', { limit: 10 });
    expect(page!.objects.map((o) => o.attributes)).toEqual([attributes]);
  });

  it('lists a directory in pages in UTF-8 byte order, with all its subdirectories on every page', async () => {
    const names = ['b.mp3', 'a.mp3', 'é.mp3', 'Z.mp3', 'c.wav'];
    for (const name of names) await store.commit(await store.stage(Buffer.from(name)), key('list', name), { name });
    await store.commit(await store.stage(Buffer.from('x')), key('list/sub', 'x.mp3'), {});
    await store.commit(await store.stage(Buffer.from('y')), key('list/zsub', 'y.mp3'), {});
    const first = await store.list('list', { limit: 2 });
    expect(first!.objects.map((o) => o.key.name)).toEqual(['Z.mp3', 'a.mp3']);
    expect(first!.directories).toEqual(['sub', 'zsub']);
    const second = await store.list('list', { limit: 2, after: first!.nextAfter });
    expect(second!.objects.map((o) => o.key.name)).toEqual(['b.mp3', 'c.wav']);
    expect(second!.directories).toEqual(['sub', 'zsub']);
    const third = await store.list('list', { limit: 2, after: second!.nextAfter });
    expect(third!.objects.map((o) => [o.key.name, o.attributes, o.sha256])).toEqual([['é.mp3', { name: 'é.mp3' }, sha256('é.mp3')]]);
    expect(third!.nextAfter).toBeUndefined();
    expect(await store.list('list', { limit: 2, after: 'é.mp3' })).toMatchObject({ objects: [], directories: ['sub', 'zsub'] });
    expect(await store.list('nothing-here', { limit: 10 })).toBeUndefined();
    expect((await store.list('', { limit: 10 }))!.directories).toEqual(expect.arrayContaining(['list', 'songs']));
  });

  it('keeps every key under storage.s3.prefix', async () => {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(listed.Contents!.length).toBeGreaterThan(0);
    expect(listed.Contents!.every((o) => o.Key!.startsWith('media/'))).toBe(true);
  });

  it('removes an object and says whether there was one', async () => {
    await store.commit(await store.stage(Buffer.from('gone soon')), key('rm', 'a.mp3'), {});
    expect(await store.remove(key('rm', 'a.mp3'))).toBe(true);
    expect(await store.remove(key('rm', 'a.mp3'))).toBe(false);
    expect(await store.head(key('rm', 'a.mp3'))).toBeUndefined();
    expect(await readObject(store, key('rm', 'a.mp3'))).toBeUndefined();
  });

  it('reads only the version it opened: deleted or replaced since, the read is NOT_FOUND, never the new bytes', async () => {
    await store.commit(await store.stage(Buffer.from('old bytes')), key('swap', 'a.mp3'), {});
    const opened = (await store.open(key('swap', 'a.mp3')))!;
    await store.remove(key('swap', 'a.mp3'));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'media/swap/a.mp3', Body: 'new bytes' }));
    await expect(opened.read()).rejects.toMatchObject({ codeName: 'NOT_FOUND' });
    await expect(opened.read({ start: 0, end: 2 })).rejects.toMatchObject({ codeName: 'NOT_FOUND' });
    const replacement = (await store.open(key('swap', 'a.mp3')))!;
    expect(await text(await replacement.read())).toBe('new bytes');
    await store.remove(key('swap', 'a.mp3'));
    await expect(replacement.read()).rejects.toMatchObject({ codeName: 'NOT_FOUND' });
  });

  it('writes nothing to the bucket when the upload’s source fails midway', async () => {
    const failing = Readable.from(
      (async function* () {
        yield randomBytes(512 * 1024);
        throw new Error('client went away');
      })(),
    );
    await expect(store.stage(failing)).rejects.toThrow('client went away');
    expect(await store.staged()).toEqual([]);
  });

  it('describes an object put into the bucket by other means, and keeps attributes given to its version beside it, not in it', async () => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'media/byhand/h.mp3', Body: 'by hand', ContentType: 'audio/mpeg' }));
    const untouched = async () => {
      const { ETag, LastModified, Metadata, ContentType } = await client.send(
        new HeadObjectCommand({ Bucket: bucket, Key: 'media/byhand/h.mp3' }),
      );
      return { ETag, LastModified, Metadata, ContentType };
    };
    const before = await untouched();
    const found = await store.head(key('byhand', 'h.mp3'));
    expect(found).toMatchObject({ size: 7, sha256: sha256('by hand') });
    expect(found!.attributes).toBeUndefined();
    const source = await store.storedSource(key('byhand', 'h.mp3'));
    expect(Buffer.from((source as { bytes: Uint8Array }).bytes).toString()).toBe('by hand');
    expect(await store.staged()).toEqual([]);
    await store.annotate(key('byhand', 'h.mp3'), found!.version, { contentType: 'audio/mpeg', metadata: null });
    const other = await openS3Store(rgw, bucket, { prefix: 'media' });
    try {
      expect(await other.head(key('byhand', 'h.mp3'))).toMatchObject({
        sha256: sha256('by hand'),
        attributes: { contentType: 'audio/mpeg', metadata: null },
      });
    } finally {
      await other.close();
    }
    expect(await untouched()).toEqual(before);
  });

  /** A multipart object as a host writes it: `upload` fixed at creation, its metadata object written before completion. */
  async function multipartObject(Key: string, bytes: Buffer, upload: string, metadataOf: string, written: object): Promise<void> {
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key, Metadata: { upload } }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: `media/.multipart/${metadataOf}.json`, Body: JSON.stringify(written) }));
    const { ETag } = await client.send(new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber: 1, Body: bytes }));
    await client.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key, UploadId, MultipartUpload: { Parts: [{ ETag, PartNumber: 1 }] } }),
    );
  }

  it('reads a multipart object’s sha256 and attributes from the metadata object its upload wrote beside it', async () => {
    const bytes = randomBytes(64 * 1024);
    const upload = `4242-${randomUUID()}`;
    const attributes = { contentType: 'audio/wav', metadata: { title: 'long take' } };
    await multipartObject('media/parts/long.wav', bytes, upload, upload, { sha256: sha256(bytes), attributes });
    expect(await store.head(key('parts', 'long.wav'))).toMatchObject({ size: bytes.length, sha256: sha256(bytes), attributes });
    const top = await store.list('', { limit: 100 });
    expect(JSON.stringify(top)).not.toContain('multipart');
  });

  it('does not take another upload’s metadata object for a multipart object’s own: it hashes the bytes instead', async () => {
    const bytes = randomBytes(64 * 1024);
    const rival = `4243-${randomUUID()}`;
    await multipartObject('media/parts/rival.wav', bytes, `4244-${randomUUID()}`, rival, {
      sha256: 'f'.repeat(64),
      attributes: { contentType: 'x/y' },
    });
    const described = await store.head(key('parts', 'rival.wav'));
    expect(described?.sha256).toBe(sha256(bytes));
    expect(described?.attributes).toBeUndefined();
  });

  it('refuses a path longer than an S3 key may be as an invalid argument, not as the bucket failing', async () => {
    const long = key('x'.repeat(600), `${'y'.repeat(500)}.mp3`);
    await expect(store.commit(await store.stage(Buffer.from('long')), long, {})).rejects.toMatchObject({ codeName: 'INVALID_ARGUMENT' });
    await expect(store.head(long)).rejects.toMatchObject({ codeName: 'INVALID_ARGUMENT' });
    expect(await store.staged()).toEqual([]);
  });

  it('reports ready when the bucket answers', async () => {
    expect(await store.ready()).toEqual([]);
  });
});
