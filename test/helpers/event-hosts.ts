import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { tempRoot } from './app.ts';
import type { RgwEndpoint } from './ceph-rgw.ts';
import { startServiceProcess, type ServiceProcess } from './process.ts';
import { freshBucket } from './s3.ts';
import { s3Env } from './s3-service.ts';
import { startRedis, type RedisServer } from './redis.ts';
import { startReceiver, webhookSecret, type Answer, type Receiver } from './webhook-receiver.ts';

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

export interface HostsAndReceiver {
  readonly hosts: ServiceProcess[];
  readonly receiver: Receiver;
}

/**
 * For the tests of the enclosing describe: a Redis of its own, a receiver answering `answer`, and
 * two hosts (startHosts on the run's RGW) whose one webhook is that receiver; all stopped after them.
 */
export function hostsWithReceiver(answer: Answer, events: Record<string, unknown>): HostsAndReceiver {
  let redis: RedisServer | undefined;
  let receiver: Receiver | undefined;
  let two: Hosts | undefined;
  beforeAll(async () => {
    redis = await startRedis();
    const secret = webhookSecret();
    receiver = await startReceiver(secret, answer);
    two = await startHosts(inject('rgw'), redis.url, { webhooks: [{ url: receiver.url, secret }], ...events });
  }, 60_000);
  afterAll(async () => {
    await two?.stop();
    await receiver?.close();
    await redis?.stop();
  });
  return {
    get hosts() {
      return two!.hosts;
    },
    get receiver() {
      return receiver!;
    },
  };
}
