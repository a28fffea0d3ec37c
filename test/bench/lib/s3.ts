import type { CephRgw } from '../../helpers/ceph-rgw.ts';
import { bytesUnder } from '../../helpers/media.ts';
import type { BenchContext } from './context.ts';
import type { ServerProcess } from './processes.ts';
import { startService } from './service.ts';

/** The service on the S3 backend: `bucket` on the bench's own gateway, staging in `root`. */
export function s3Service(
  ctx: BenchContext,
  rgw: CephRgw,
  root: string,
  bucket: string,
  media: Record<string, unknown> = {},
): Promise<ServerProcess> {
  return startService({
    root,
    media,
    config: { storage: { backend: 's3', s3: { endpoint: rgw.endpoint, bucket, region: rgw.region, createBucket: true } } },
    env: {
      AWS_ACCESS_KEY_ID: rgw.accessKeyId,
      AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    cpuProfDir: ctx.options.cpuProfDir,
  });
}

/** The most bytes under `dir` at once, sampled every 50 ms until stop(). */
export function stagedPeak(dir: string): { stop(): number } {
  let peak = 0;
  const timer = setInterval(() => void bytesUnder(dir).then((bytes) => (peak = Math.max(peak, bytes))), 50);
  return { stop: () => (clearInterval(timer), peak) };
}
