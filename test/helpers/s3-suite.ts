import { inject } from 'vitest';
import { freshBucket } from './s3.ts';
import { s3Backend } from './s3-service.ts';

/**
 * `TEST_STORAGE_BACKEND=s3` runs the HTTP suite on the S3 backend: every service a test starts
 * stores in a fresh bucket of the run's Ceph RADOS Gateway (`npm run test:s3`).
 */
export async function s3SuiteOverrides(): Promise<Record<string, unknown>> {
  if (process.env.TEST_STORAGE_BACKEND !== 's3') return {};
  const rgw = inject('rgw');
  return s3Backend(rgw, await freshBucket(rgw));
}
