import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { inject } from 'vitest';
import type { Config } from '../../src/config.ts';
import { freshBucket, s3Client } from './s3.ts';
import { s3Backend, s3Env } from './s3-service.ts';

/**
 * `TEST_STORAGE_BACKEND=s3` (the `s3` project of test/vitest.config.ts) runs the HTTP suite on the
 * S3 backend: every service a test starts stores in a fresh bucket of the run's Ceph RADOS Gateway.
 */
const onS3 = () => process.env.TEST_STORAGE_BACKEND === 's3';

/** Config overrides for a service started in this test process. */
export async function s3SuiteOverrides(): Promise<Record<string, unknown>> {
  if (!onS3()) return {};
  const rgw = inject('rgw');
  return s3Backend(rgw, await freshBucket(rgw));
}

/** The environment of a service process started by a test. */
export async function s3SuiteEnv(): Promise<Record<string, string>> {
  if (!onS3()) return {};
  const rgw = inject('rgw');
  return s3Env(rgw, await freshBucket(rgw));
}

/** Multipart uploads pending in a service's bucket (0 on the local backend): large uploads stream into one on S3. */
export async function pendingMultipartUploads(config: Config): Promise<number> {
  if (config.storage.backend !== 's3') return 0;
  const client = s3Client(inject('rgw'));
  try {
    return ((await client.send(new ListMultipartUploadsCommand({ Bucket: config.storage.s3.bucket }))).Uploads ?? []).length;
  } finally {
    client.destroy();
  }
}
