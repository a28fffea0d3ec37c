import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CephRgw } from '../../helpers/ceph-rgw.ts';
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
  const sample = async () => {
    const names = await readdir(dir, { recursive: true }).catch((): string[] => []);
    const sizes = await Promise.all(
      names.map((name) =>
        stat(path.join(dir, name)).then(
          (s) => (s.isFile() ? s.size : 0),
          () => 0,
        ),
      ),
    );
    peak = Math.max(
      peak,
      sizes.reduce((a, b) => a + b, 0),
    );
  };
  const timer = setInterval(() => void sample(), 50);
  return { stop: () => (clearInterval(timer), peak) };
}
