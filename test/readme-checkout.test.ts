import { existsSync, realpathSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshCheckout } from './helpers/checkout.ts';
import { projectRoot } from './helpers/process.ts';
import { startRedis, type RedisServer } from './helpers/redis.ts';
import { runnableBlocks } from './helpers/readme.ts';
import { executablesOf, nodeVersionOf } from './helpers/runtime.ts';
import { curlDifferences, scriptCommands, ScriptRun, substitutions, type Ran } from './helpers/readme-script.ts';

/** The section's one block of commands (a test that runs it runs them all; a second block would go unrun). */
const shBlocks = (heading: string) => {
  const blocks = runnableBlocks(heading);
  expect(blocks.map((block) => block.lang)).toEqual(blocks.map(() => 'sh'));
  return blocks;
};
const production = runnableBlocks('## Running in production');

// The README's examples that install or start the service, as written, in order, in one fresh
// checkout of this tree: `npm ci && npm start` (the first of the two commands; the second,
// `npm ci && npm test`, is what CI runs), the configuration example and the proxy walkthrough,
// then the production steps and the cluster example. `npm ci` runs once: the production block's
// `npm ci && npm run build` follows the first command's `npm ci`, so only `npm run build` runs.
/** The Node binary `npm ci` installed in `dir` (the `node` package), a Node 24 whatever the system's. */
const bundledNode = (dir: string) => realpathSync(path.join(dir, 'node_modules/.bin/node'));

describe('the README examples that install or start the service, run as written in a fresh checkout', () => {
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
    [checkout, tmp, redis] = await Promise.all([freshCheckout(), mkdtemp(path.join(os.tmpdir(), 'readme-checkout-tmp-')), startRedis()]);
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

  it('## Two commands: `npm ci && npm test` is what CI runs', async () => {
    const [block, ...more] = shBlocks('## Two commands');
    expect(more).toEqual([]);
    expect(scriptCommands(block!.body).map((step) => step.command)).toEqual(['npm ci && npm start', 'npm ci && npm test']);
    const ci = await readFile(path.join(projectRoot, '.ci/run'), 'utf8');
    expect(ci.split('\n').filter((line) => /^npm /.test(line))).toEqual([expect.stringMatching(/^npm ci( |$)/), 'npm test']);
  });

  it('## Two commands: `npm ci && npm start` builds dist/, serves on port 8080 with files in ./uploads, stops with 0, on Node 24', async () => {
    const [block] = shBlocks('## Two commands');
    const run = new ScriptRun(checkout, await substitutions([8080], tmp));
    runs.push(run);
    await run.run(scriptCommands(block!.body).slice(0, 1));
    const url = `http://127.0.0.1:${run.port(8080)}`;
    expect(run.running[0]!.output()).toContain('building dist/');
    // On the Node 24 that `npm ci` put in the checkout's node_modules/.bin, whatever the system's.
    expect(await nodeVersionOf(url)).toBe(process.version);
    expect(executablesOf(run.running[0]!.child.pid!, 'src/start.js')).toEqual([bundledNode(checkout)]);

    const form = new FormData();
    form.append('songs', new Blob([await readFile(path.join(projectRoot, 'test/fixtures/tone.mp3'))]), 'tone.mp3');
    const stored = await fetch(`${url}/media`, { method: 'POST', body: form });
    expect(((await stored.json()) as { code: number }).code).toBe(200);
    await expect(readFile(path.join(checkout, 'uploads/songs/tone.mp3'))).resolves.toHaveLength(4896);
    expect(await run.stop()).toEqual([{ command: 'npm ci && npm start', code: 0, signal: null }]);
  }, 300_000);

  it('## Configuration example: the file and the environment both apply (legacy status mode, a token, port 9000)', async () => {
    const [block, ...more] = shBlocks('## Configuration');
    expect(more).toEqual([]);
    const run = new ScriptRun(checkout, await substitutions([8080, 9000], tmp));
    runs.push(run);
    await run.run(scriptCommands(block!.body));
    expect(run.ran.map((step) => step.status)).toEqual([0]);
    const url = `http://127.0.0.1:${run.port(9000)}`;

    expect(await (await fetch(`${url}/auth`)).json()).toMatchObject({ writesNeedToken: true });
    const refused = await fetch(`${url}/media`, { method: 'DELETE', body: new URLSearchParams({ directory: 'a', filename: 'b.mp3' }) });
    expect([refused.status, ((await refused.json()) as { code: number }).code]).toEqual([200, 401]);
    expect(await run.stop()).toEqual([{ command: 'CONFIG_FILE=./prod.json PORT=9000 npm start', code: 0, signal: null }]);
  }, 120_000);

  it('## Proxy example: upstreams, cache, streaming, unknown names and unsafe paths answer as shown', async () => {
    const [block, ...more] = shBlocks('## Proxy');
    expect(more).toEqual([]);
    const run = new ScriptRun(checkout, await substitutions([8080, 9000, 9001], tmp));
    runs.push(run);
    await run.run(scriptCommands(block!.body));
    for (const step of run.ran) expect(step.status, `${step.command}: ${step.stderr}`).toBe(0);

    const curls = run.ran.filter((step) => step.command.startsWith('curl '));
    expect(curls).toHaveLength(5);
    for (const step of curls.filter((curl) => curl.command.startsWith('curl -i'))) {
      expect(curlDifferences(step.comment, step.stdout), step.command).toEqual([]);
    }
    const echoed = curls.find((step) => step.command.includes('--data-binary @package.json'))!;
    expect(echoed.stdout).toBe(await readFile(path.join(checkout, 'package.json'), 'utf8'));

    const stopped = await run.stop();
    expect(stopped.find((entry) => entry.command.endsWith('npm start'))).toMatchObject({ code: 0 });
  }, 120_000);
  it('## Running in production: has the build-and-start block and the cluster block', () => {
    expect(production.map((block) => block.lang)).toEqual(['sh', 'sh']);
    expect(production.map((block) => scriptCommands(block.body).map((step) => step.command))).toEqual([
      ['npm ci && npm run build', 'npm prune --omit=dev', 'npm start'],
      [expect.stringMatching(/^echo .* > cluster\.json$/), 'CONFIG_FILE=cluster.json LOG_LEVEL=warn npm start'],
    ]);
  });

  it('## Running in production: builds dist/, drops the dev dependencies and serves from dist/ without the compiler, stopping with 0 on SIGTERM', async () => {
    const run = new ScriptRun(checkout, await substitutions([8080], tmp));
    runs.push(run);
    // `npm ci` has run in this checkout (the first test).
    await run.run(scriptCommands(production[0]!.body).map((step) => ({ ...step, command: step.command.replace(/^npm ci && /, '') })));
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

  it('## Running in production, or: dist/ copied into a checkout elsewhere installed with `npm ci --omit=dev` starts there with `npm start`, on Node 24', async () => {
    expect(production[0]!.body).toContain('# or copy dist/ into a checkout elsewhere and run `npm ci --omit=dev` there');
    const { dir, install } = await elsewhere;
    expect(install.status, install.stderr).toBe(0);
    await cp(path.join(checkout, 'dist'), path.join(dir, 'dist'), { recursive: true });
    const run = new ScriptRun(dir, await substitutions([8080], tmp));
    runs.push(run);
    await run.run(scriptCommands('npm start\n'));
    expect(run.running[0]!.output()).toContain('"msg":"listening on');
    expect(await nodeVersionOf(`http://127.0.0.1:${run.port(8080)}`)).toBe(process.version);
    expect(executablesOf(run.running[0]!.child.pid!, 'src/start.js')).toEqual([bundledNode(dir)]);
    expect(await run.stop()).toEqual([{ command: 'npm start', code: 0, signal: null }]);
  }, 120_000);

  it('## Running in production: runs the cluster example against a real Redis: ready (Redis answers PING) and no per-worker rooms warning, every process on Node 24', async () => {
    // The README's Redis at 127.0.0.1:6379 is this test's redis-server on a free port.
    const redisPort = Number(new URL(redis.url).port);
    const run = new ScriptRun(checkout, await substitutions([8080, 6379], tmp, { 6379: redisPort }));
    runs.push(run);
    await run.run(scriptCommands(production[1]!.body));
    expect(run.ran.map((step) => step.status)).toEqual([0]);

    const ready = await fetch(`http://127.0.0.1:${run.port(8080)}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);
    // The primary and every worker on the checkout's Node 24.
    const runtimes = executablesOf(run.running[0]!.child.pid!, 'src/start.js');
    expect(runtimes.length).toBeGreaterThan(1);
    expect(new Set(runtimes)).toEqual(new Set([bundledNode(checkout)]));
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
