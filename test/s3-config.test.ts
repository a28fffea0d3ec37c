import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../src/config.ts';

describe('storage.backend s3 configuration', () => {
  it('reads the backend and the bucket from STORAGE_BACKEND, S3_ENDPOINT, S3_BUCKET and S3_REGION', () => {
    const config = loadConfig({
      env: { STORAGE_BACKEND: 's3', S3_ENDPOINT: 'http://127.0.0.1:7480', S3_BUCKET: 'media', S3_REGION: 'eu-west-1' },
      cwd: '/nonexistent',
    });
    expect(config.storage.backend).toBe('s3');
    expect(config.storage.s3).toMatchObject({
      endpoint: 'http://127.0.0.1:7480',
      bucket: 'media',
      region: 'eu-west-1',
      prefix: '',
      createBucket: false,
    });
  });

  it('defaults to the local backend and region us-east-1', () => {
    const config = parseConfig({});
    expect(config.storage.backend).toBe('local');
    expect(config.storage.s3.region).toBe('us-east-1');
  });

  it('refuses backend s3 without a bucket, naming the key', () => {
    expect(() => parseConfig({ storage: { backend: 's3' } })).toThrow(
      'invalid config: storage.s3.bucket: required with storage.backend s3',
    );
  });

  it('takes files over 5 GiB with backend s3 (multipart uploads) up to 10,000 parts of storage.s3.partSize, and at most 5 TiB', () => {
    const s3 = (partSize?: number) => ({ backend: 's3' as const, s3: { bucket: 'media', partSize } });
    expect(parseConfig({ media: { maxFileSize: 6 * 1024 ** 3 }, storage: s3() }).media.maxFileSize).toBe(6 * 1024 ** 3);
    expect(() => parseConfig({ media: { maxFileSize: 10_000 * 16 * 1024 ** 2 + 1 }, storage: s3() })).toThrow(
      /media.maxFileSize: must be at most 167772160000 \(the lesser of 5 TiB and 10,000 parts of storage.s3.partSize\)/,
    );
    expect(parseConfig({ media: { maxFileSize: 5 * 1024 ** 4 }, storage: s3(1024 ** 3) }).media.maxFileSize).toBe(5 * 1024 ** 4);
    expect(() => parseConfig({ media: { maxFileSize: 5 * 1024 ** 4 + 1 }, storage: s3(1024 ** 3) })).toThrow(
      /media.maxFileSize: must be at most 5497558138880/,
    );
    expect(parseConfig({ media: { maxFileSize: 6 * 1024 ** 4 } }).media.maxFileSize).toBe(6 * 1024 ** 4);
  });

  it('refuses an endpoint that is not an http(s) URL', () => {
    expect(() => parseConfig({ storage: { backend: 's3', s3: { bucket: 'media', endpoint: 'ftp://x' } } })).toThrow(/storage.s3.endpoint/);
  });
});
