import { startService, type RunningService } from './app.ts';
import type { RgwEndpoint } from './ceph-rgw.ts';
import { freshBucket } from './s3.ts';
import { s3Backend } from './s3-service.ts';

/** Services in this process sharing a fresh bucket of the test gateway, as hosts of one deployment would; the caller closes them. */
export async function startBucketHosts(
  rgw: RgwEndpoint,
  s3: Record<string, unknown>,
  count = 2,
): Promise<{ bucket: string; hosts: RunningService[] }> {
  const bucket = await freshBucket(rgw);
  const hosts: RunningService[] = [];
  for (let i = 0; i < count; i++) hosts.push(await startService(s3Backend(rgw, bucket, s3)));
  return { bucket, hosts };
}
