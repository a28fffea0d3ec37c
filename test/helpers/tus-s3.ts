import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { RgwEndpoint } from './ceph-rgw.ts';
import { s3Client } from './s3.ts';

/** Every key in `bucket` under `prefix`, sorted. */
export async function bucketKeys(rgw: RgwEndpoint, bucket: string, prefix = ''): Promise<string[]> {
  const client = s3Client(rgw);
  const keys: string[] = [];
  try {
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) keys.push(object.Key!);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } finally {
    client.destroy();
  }
  return keys.sort();
}

/** The objects resumable uploads keep in the bucket (`<prefix>.resumable/...`). */
export function resumableKeys(rgw: RgwEndpoint, bucket: string, prefix = ''): Promise<string[]> {
  return bucketKeys(rgw, bucket, `${prefix}.resumable/`);
}

/** The keys of the multipart uploads begun in `bucket` and neither completed nor aborted. */
export async function pendingMultipartUploads(rgw: RgwEndpoint, bucket: string): Promise<string[]> {
  const client = s3Client(rgw);
  try {
    return ((await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).map((upload) => upload.Key!);
  } finally {
    client.destroy();
  }
}
