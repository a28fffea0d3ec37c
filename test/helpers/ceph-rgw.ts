import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { openSync, closeSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createKeyring, writeConfig } from './ceph-config.ts';
import { waitFor as poll } from './wait.ts';

const run = promisify(execFile);

/** Polls a probe that may throw (a daemon not up yet) until it answers true. */
const waitFor = (what: string, probe: () => Promise<boolean>, timeoutMs: number) =>
  poll(what, () => probe().catch(() => false), timeoutMs, 50);

/** Where a test finds the gateway: what a service needs in S3_ENDPOINT and AWS_* variables. */
export interface RgwEndpoint {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface CephRgw extends RgwEndpoint {
  /** The private directory holding the cluster's config, keyring, data and logs. */
  dir: string;
  /** Stops radosgw alone (the S3 endpoint goes away; the cluster keeps its data). */
  stopGateway(): Promise<void>;
  /** Starts radosgw again on the same port and waits until it answers signed requests. */
  startGateway(): Promise<void>;
  /** Freezes radosgw (SIGSTOP): connections are accepted by the kernel, nothing answers. */
  pauseGateway(): void;
  /** Lets a frozen radosgw run again (SIGCONT). */
  resumeGateway(): void;
  /** Stops radosgw, the OSD, then the mon (that order: all at once can hold radosgw for minutes), and removes the directory. */
  stop(): Promise<void>;
}

/** The Debian commands the cluster needs; `ceph-common` brings ceph, ceph-authtool, monmaptool, radosgw-admin. */
export const CEPH_COMMANDS = ['ceph-mon', 'ceph-osd', 'radosgw', 'ceph', 'ceph-authtool', 'monmaptool', 'radosgw-admin'];
const INSTALL = 'apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw ceph-common';

const ACCESS_KEY = 'MEDIATESTACCESSKEY01';
const SECRET_KEY = 'media-test-secret-key-not-for-production-0001';

/**
 * A throw-away one-node Ceph cluster (1 mon, 1 OSD on memstore, 1 radosgw, no mgr) on spare
 * loopback ports with all its state in a private temp directory, and an S3 user on it. Every
 * daemon runs in the foreground (-f) in its own session and is stopped by its recorded PID.
 * The recipe and its settings: shared TOOLCHAIN.md "A real S3 server for tests".
 */
export async function startCephRgw({ memstoreBytes = 3 * 1024 ** 3 }: { memstoreBytes?: number } = {}): Promise<CephRgw> {
  await requireCommands();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ceph-rgw-'));
  const daemons = new Map<string, number>();
  // A runner that exits without its teardown (killed, process.exit) must not leave daemons behind.
  const onExit = () => {
    for (const name of ['rgw', 'osd', 'mon']) if (daemons.has(name)) process.kill(daemons.get(name)!, 'SIGKILL');
  };
  process.once('exit', onExit);
  try {
    const [monPort, rgwPort, bindMin] = await freePorts();
    const conf = path.join(dir, 'ceph.conf');
    const fsid = randomUUID();
    // The OSD keeps objects in RAM up to this size; past ~95% of it the cluster stops taking writes.
    await writeConfig(dir, { fsid, monPort, rgwPort, bindMin, memstoreBytes });
    const ceph = (...args: string[]) => run('ceph', ['-c', conf, '--connect-timeout', '10', ...args], { timeout: 20_000 });
    await createKeyring(dir);
    await run('monmaptool', [
      '--create',
      '--fsid',
      fsid,
      '--addv',
      'a',
      `[v2:127.0.0.1:${monPort}]`,
      '--set-min-mon-release',
      'pacific',
      '--enable-all-features',
      path.join(dir, 'monmap'),
    ]);
    await run('ceph-mon', ['-c', conf, '--mkfs', '-i', 'a', '--monmap', path.join(dir, 'monmap'), '--keyring', path.join(dir, 'keyring')]);
    daemons.set('mon', startDaemon(dir, 'ceph-mon', ['-c', conf, '-f', '-i', 'a']));
    await waitFor('ceph mon', () => ceph('mon', 'stat').then(() => true), 20_000);
    const osdUuid = randomUUID();
    await ceph('osd', 'new', osdUuid);
    await run('ceph-osd', ['-c', conf, '-i', '0', '--mkfs', '--osd-uuid', osdUuid]);
    daemons.set('osd', startDaemon(dir, 'ceph-osd', ['-c', conf, '-f', '-i', '0']));
    await waitFor('osd.0 up', async () => /^osd\.0 up\b/m.test((await ceph('osd', 'dump')).stdout), 30_000);
    const endpoint = `http://127.0.0.1:${rgwPort}`;
    const startGateway = async () => {
      daemons.set('rgw', startDaemon(dir, 'radosgw', ['-c', conf, '-f', '-n', 'client.rgw.a']));
      await waitFor('radosgw answering', () => answersSigned(endpoint), 60_000);
    };
    daemons.set('rgw', startDaemon(dir, 'radosgw', ['-c', conf, '-f', '-n', 'client.rgw.a']));
    await waitFor('radosgw port', () => answersHttp(endpoint), 60_000);
    await run(
      'radosgw-admin',
      ['-c', conf, 'user', 'create', '--uid=test', '--display-name=Test', `--access-key=${ACCESS_KEY}`, `--secret-key=${SECRET_KEY}`],
      { timeout: 30_000 },
    );
    await waitFor('radosgw answering', () => answersSigned(endpoint), 30_000);
    return {
      dir,
      endpoint,
      region: 'us-east-1',
      accessKeyId: ACCESS_KEY,
      secretAccessKey: SECRET_KEY,
      stopGateway: () => stopDaemon(daemons, 'rgw'),
      startGateway,
      pauseGateway: () => process.kill(daemons.get('rgw')!, 'SIGSTOP'),
      resumeGateway: () => process.kill(daemons.get('rgw')!, 'SIGCONT'),
      stop: async () => {
        await stopCluster(dir, daemons);
        process.off('exit', onExit);
      },
    };
  } catch (error) {
    await stopCluster(dir, daemons, false);
    throw error;
  }
}

async function requireCommands(): Promise<void> {
  const missing: string[] = [];
  for (const command of CEPH_COMMANDS) {
    await run('sh', ['-c', `command -v ${command}`]).catch(() => missing.push(command));
  }
  if (missing.length > 0)
    throw new Error(`The S3 tests need Ceph (missing: ${missing.join(', ')}): as root, run \`apt-get update && ${INSTALL}\`.`);
}

/** A free mon port, a free gateway port and the start of 20 free ports for the daemons' own sockets. */
async function freePorts(): Promise<[number, number, number]> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    const ports = Array.from({ length: 22 }, (_, i) => base + i);
    const free = await Promise.all(ports.map(isFree));
    if (free.every(Boolean)) return [base, base + 1, base + 2];
  }
  throw new Error('no block of 22 free loopback ports found');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** Starts a daemon detached (its own session), output to a file in the private dir; returns its PID. */
function startDaemon(dir: string, command: string, args: string[]): number {
  const out = openSync(path.join(dir, 'log', `${command}.out`), 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.unref();
  if (child.pid === undefined) throw new Error(`${command} did not start`);
  return child.pid;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A zombie (exited, not yet reaped by its parent) counts as gone. */
async function isZombie(pid: number): Promise<boolean> {
  const status = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return /^\d+ \(.*\) Z/.test(status) || status === '';
}

async function stopDaemon(daemons: Map<string, number>, name: string): Promise<void> {
  const pid = daemons.get(name);
  if (pid === undefined) return;
  daemons.delete(name);
  if (!alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  process.kill(pid, 'SIGCONT'); // a frozen daemon handles the SIGTERM only once it runs
  const deadline = Date.now() + 15_000;
  while (alive(pid) && !(await isZombie(pid))) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function stopCluster(dir: string, daemons: Map<string, number>, removeDir = true): Promise<void> {
  for (const name of ['rgw', 'osd', 'mon']) await stopDaemon(daemons, name);
  if (removeDir) await fs.rm(dir, { recursive: true, force: true });
}

/** Any HTTP answer on the gateway's port. */
async function answersHttp(endpoint: string): Promise<boolean> {
  const response = await fetch(endpoint, { signal: AbortSignal.timeout(2000) });
  await response.arrayBuffer();
  return true;
}

/** A signed ListBuckets answered 200: the user exists and the gateway serves it. */
async function answersSigned(endpoint: string): Promise<boolean> {
  const { S3Client, ListBucketsCommand } = await import('@aws-sdk/client-s3');
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    maxAttempts: 1,
  });
  try {
    await client.send(new ListBucketsCommand({}), { abortSignal: AbortSignal.timeout(2000) });
    return true;
  } finally {
    client.destroy();
  }
}
