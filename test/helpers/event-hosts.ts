import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempRoot } from './app.ts';
import type { RgwEndpoint } from './ceph-rgw.ts';
import { startServiceProcess, type ServiceProcess } from './process.ts';
import { freshBucket } from './s3.ts';
import { s3Env } from './s3-service.ts';

export interface Hosts {
  hosts: ServiceProcess[];
  /** Stops every host still running (by its PID) and removes their roots. */
  stop(): Promise<void>;
}

/**
 * Service processes as separate hosts of the S3 deployment: each its own staging root, one fresh
 * bucket on the run's Ceph RADOS Gateway, one Redis holding the event log, the same `events` config.
 */
export async function startHosts(rgw: RgwEndpoint, redisUrl: string, events: Record<string, unknown>, count = 2): Promise<Hosts> {
  const bucket = await freshBucket(rgw);
  const roots: string[] = [];
  const hosts: ServiceProcess[] = [];
  const stop = async () => {
    await Promise.all(hosts.map((host) => host.stop()));
    await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
  };
  try {
    for (let i = 0; i < count; i++) {
      const root = await tempRoot('events-host-');
      roots.push(root);
      const configFile = path.join(root, 'host.json');
      await writeFile(configFile, JSON.stringify({ redis: { url: redisUrl }, events }));
      hosts.push(await startServiceProcess({ ...s3Env(rgw, bucket), UPLOAD_DIR: path.join(root, 'media'), CONFIG_FILE: configFile }));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { hosts, stop };
}
