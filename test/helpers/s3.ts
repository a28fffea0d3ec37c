import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { RgwEndpoint } from './ceph-rgw.ts';

/** A plain SDK client on the test gateway, for checking what the store wrote. */
export function s3Client(rgw: RgwEndpoint): S3Client {
  return new S3Client({
    endpoint: rgw.endpoint,
    region: rgw.region,
    forcePathStyle: true,
    credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** A new empty bucket with a unique name: tests sharing the gateway never see each other's objects. */
export async function freshBucket(rgw: RgwEndpoint): Promise<string> {
  const bucket = `test-${randomUUID()}`;
  const client = s3Client(rgw);
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
  return bucket;
}
