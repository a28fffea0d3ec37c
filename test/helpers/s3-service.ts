import type { RgwEndpoint } from './ceph-rgw.ts';
import { useRgwCredentials } from './s3-store.ts';

/** Config overrides putting a test service's media in `bucket` of the test gateway. */
export function s3Backend(rgw: RgwEndpoint, bucket: string, s3: Record<string, unknown> = {}) {
  useRgwCredentials(rgw);
  return { storage: { backend: 's3' as const, s3: { endpoint: rgw.endpoint, bucket, region: rgw.region, ...s3 } } };
}

/** The environment a service process needs for the same. */
export function s3Env(rgw: RgwEndpoint, bucket: string): Record<string, string> {
  return {
    STORAGE_BACKEND: 's3',
    S3_ENDPOINT: rgw.endpoint,
    S3_BUCKET: bucket,
    S3_REGION: rgw.region,
    AWS_ACCESS_KEY_ID: rgw.accessKeyId,
    AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey,
  };
}
