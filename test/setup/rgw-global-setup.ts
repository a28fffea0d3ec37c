import type { TestProject } from 'vitest/node';
import { startCephRgw, type RgwEndpoint } from '../helpers/ceph-rgw.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's one Ceph RADOS Gateway; each test file makes its own buckets on it. */
    rgw: RgwEndpoint;
  }
}

/** Starts the throw-away Ceph cluster once per test run (~3 s) and stops it by PID at the end. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startCephRgw();
  const { endpoint, region, accessKeyId, secretAccessKey } = cluster;
  project.provide('rgw', { endpoint, region, accessKeyId, secretAccessKey });
  return () => cluster.stop();
}
