import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshCheckout } from './helpers/checkout.ts';
import { startRedis, type RedisServer } from './helpers/redis.ts';
import { codeBlocks, README, section } from './helpers/readme.ts';
import { scriptCommands, ScriptRun, substitutions, type Ran } from './helpers/readme-script.ts';

// The README's "Running in production" blocks, as written, in a fresh checkout of this tree:
// `npm ci` and `npm run build` there, then without the dev dependencies.
const blocks = codeBlocks(section(README, '## Running in production')).filter((block) => block.lang === 'sh');

describe('## Running in production, run as written in a fresh checkout', () => {
  let checkout: string;
  let tmp: string;
  let redis: RedisServer;
  /** The other way the block's comment names: a checkout elsewhere, installed with `npm ci --omit=dev` (meanwhile). */
  let elsewhere: Promise<{ dir: string; install: Ran }>;
  const runs: ScriptRun[] = [];
  beforeAll(async () => {
    elsewhere = freshCheckout().then(async (dir) => ({
      dir,
      install: await new ScriptRun(dir, await substitutions([8080], '/tmp')).once('npm ci --omit=dev'),
    }));
    elsewhere.catch(() => {}); // awaited by its test
    [checkout, tmp, redis] = await Promise.all([freshCheckout(), mkdtemp(path.join(os.tmpdir(), 'readme-production-')), startRedis()]);
  });
  afterAll(async () => {
    for (const run of runs) await run.stop();
    await redis?.stop();
    const other = await elsewhere.then(
      ({ dir }) => dir,
      () => undefined,
    );
    await Promise.all([checkout, tmp, other].map((dir) => dir && rm(dir, { recursive: true, force: true })));
  });

  it('has the build-and-start block and the cluster block', () => {
    expect(blocks.map((block) => scriptCommands(block.body).map((step) => step.command))).toEqual([
      ['npm ci && npm run build', 'npm prune --omit=dev', 'npm start'],
      [expect.stringMatching(/^echo .* > cluster\.json$/), 'CONFIG_FILE=cluster.json LOG_LEVEL=warn npm start'],
    ]);
  });

  it('builds dist/, drops the dev dependencies and serves from dist/ without the compiler, stopping with 0 on SIGTERM', async () => {
    const run = new ScriptRun(checkout, await substitutions([8080], tmp));
    runs.push(run);
    await run.run(scriptCommands(blocks[0]!.body));
    for (const step of run.ran) expect(step.status, `${step.command}: ${step.stderr}`).toBe(0);
    expect(existsSync(path.join(checkout, 'dist/server.js'))).toBe(true);
    expect(existsSync(path.join(checkout, 'node_modules/typescript'))).toBe(false);
    expect(existsSync(path.join(checkout, 'node_modules/express'))).toBe(true);

    const started = run.running[0]!;
    expect(started.output()).not.toContain('building dist/');
    const health = await fetch(`http://127.0.0.1:${run.port(8080)}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect(await run.stop()).toEqual([{ command: 'npm start', code: 0, signal: null }]);
    expect(started.output()).toContain('"msg":"stopped"');
  }, 300_000);

  it('or: dist/ copied into a checkout elsewhere installed with `npm ci --omit=dev` starts there with `npm start`', async () => {
    expect(blocks[0]!.body).toContain('# or copy dist/ into a checkout elsewhere and run `npm ci --omit=dev` there');
    const { dir, install } = await elsewhere;
    expect(install.status, install.stderr).toBe(0);
    await cp(path.join(checkout, 'dist'), path.join(dir, 'dist'), { recursive: true });
    const run = new ScriptRun(dir, await substitutions([8080], tmp));
    runs.push(run);
    await run.run(scriptCommands('npm start\n'));
    expect(run.running[0]!.output()).toContain('"msg":"listening on');
    expect(await run.stop()).toEqual([{ command: 'npm start', code: 0, signal: null }]);
  }, 120_000);

  it('runs the cluster example against a real Redis: ready (Redis answers PING) and no per-worker rooms warning', async () => {
    // The README's Redis at 127.0.0.1:6379 is this test's redis-server on a free port.
    const redisPort = Number(new URL(redis.url).port);
    const run = new ScriptRun(checkout, await substitutions([8080, 6379], tmp, { 6379: redisPort }));
    runs.push(run);
    await run.run(scriptCommands(blocks[1]!.body));
    expect(run.ran.map((step) => step.status)).toEqual([0]);

    const ready = await fetch(`http://127.0.0.1:${run.port(8080)}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);
    expect(run.running[0]!.output()).not.toContain('chat rooms are per worker');
    // The workers hold connections to this Redis (besides the one asking).
    const client = new Redis(redis.url);
    const clients = String(await client.client('LIST'))
      .trim()
      .split('\n');
    await client.quit();
    expect(clients.length).toBeGreaterThan(1);
    expect(await run.stop()).toEqual([{ command: 'CONFIG_FILE=cluster.json LOG_LEVEL=warn npm start', code: 0, signal: null }]);
  }, 60_000);
});
