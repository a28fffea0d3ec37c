import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { S3Store, type S3StoreOptions } from '../../src/storage/s3/s3-store.ts';
import type { RgwEndpoint } from './ceph-rgw.ts';

/** Puts the gateway's credentials where the SDK's default chain finds them (the service reads them there too). */
export function useRgwCredentials(rgw: RgwEndpoint): void {
  process.env.AWS_ACCESS_KEY_ID = rgw.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = rgw.secretAccessKey;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}

/** Options of an S3Store on `bucket` of the test gateway, staging in `stagingDir`. */
export function rgwStoreOptions(rgw: RgwEndpoint, bucket: string, stagingDir: string): S3StoreOptions {
  return {
    endpoint: rgw.endpoint,
    bucket,
    region: rgw.region,
    prefix: '',
    forcePathStyle: true,
    createBucket: false,
    stagingDir,
    timeoutMs: 5000,
  };
}

/** An S3Store on `bucket` of the test gateway, staging in a fresh temp directory. */
export async function openS3Store(rgw: RgwEndpoint, bucket: string, options: Partial<S3StoreOptions> = {}): Promise<S3Store> {
  useRgwCredentials(rgw);
  const stagingDir = await fs.mkdtemp(path.join(os.tmpdir(), 's3-staging-'));
  return S3Store.open({ ...rgwStoreOptions(rgw, bucket, stagingDir), ...options });
}

/** A stream of `bytes` in 64 KiB chunks, as an upload arrives. */
export async function* chunksOf(bytes: Buffer): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < bytes.length; offset += 65536) yield bytes.subarray(offset, offset + 65536);
}
