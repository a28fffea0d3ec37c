import { readFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshCheckout } from './helpers/checkout.ts';
import { projectRoot } from './helpers/process.ts';
import { codeBlocks, README, section } from './helpers/readme.ts';
import { curlDifferences, scriptCommands, ScriptRun, substitutions } from './helpers/readme-script.ts';

const shBlocks = (heading: string) => codeBlocks(section(README, heading)).filter((block) => block.lang === 'sh');

// The README's `npm start` examples, as written, in a fresh checkout of this tree: the first of
// the two commands (the second, `npm ci && npm test`, is what CI runs), the configuration
// example and the proxy walkthrough.
describe('the README examples that start the service, run as written in a fresh checkout', () => {
  let checkout: string;
  let tmp: string;
  const runs: ScriptRun[] = [];
  const newRun = async (ports: number[]) => {
    const run = new ScriptRun(checkout, await substitutions(ports, tmp));
    runs.push(run);
    return run;
  };
  beforeAll(async () => {
    [checkout, tmp] = await Promise.all([freshCheckout(), mkdtemp(path.join(os.tmpdir(), 'readme-start-'))]);
  });
  afterAll(async () => {
    for (const run of runs) await run.stop();
    await Promise.all([checkout, tmp].map((dir) => dir && rm(dir, { recursive: true, force: true })));
  });

  it('## Two commands: `npm ci && npm test` is what CI runs', async () => {
    const [block] = shBlocks('## Two commands');
    expect(scriptCommands(block!.body).map((step) => step.command)).toEqual(['npm ci && npm start', 'npm ci && npm test']);
    const ci = await readFile(path.join(projectRoot, '.ci/run'), 'utf8');
    expect(ci.split('\n').filter((line) => /^npm /.test(line))).toEqual([expect.stringMatching(/^npm ci( |$)/), 'npm test']);
  });

  it('## Two commands: `npm ci && npm start` builds dist/, serves on port 8080 with files in ./uploads, stops with 0', async () => {
    const [block] = shBlocks('## Two commands');
    const run = await newRun([8080]);
    await run.run(scriptCommands(block!.body).slice(0, 1));
    const url = `http://127.0.0.1:${run.port(8080)}`;
    expect(run.running[0]!.output()).toContain('building dist/');

    const form = new FormData();
    form.append('songs', new Blob([await readFile(path.join(projectRoot, 'test/fixtures/tone.mp3'))]), 'tone.mp3');
    const stored = await fetch(`${url}/media`, { method: 'POST', body: form });
    expect(((await stored.json()) as { code: number }).code).toBe(200);
    await expect(readFile(path.join(checkout, 'uploads/songs/tone.mp3'))).resolves.toHaveLength(4896);
    expect(await run.stop()).toEqual([{ command: 'npm ci && npm start', code: 0, signal: null }]);
  }, 300_000);

  it('## Configuration example: the file and the environment both apply (legacy status mode, a token, port 9000)', async () => {
    const [block] = shBlocks('## Configuration');
    const run = await newRun([8080, 9000]);
    await run.run(scriptCommands(block!.body));
    expect(run.ran.map((step) => step.status)).toEqual([0]);
    const url = `http://127.0.0.1:${run.port(9000)}`;

    expect(await (await fetch(`${url}/auth`)).json()).toMatchObject({ writesNeedToken: true });
    const refused = await fetch(`${url}/media`, { method: 'DELETE', body: new URLSearchParams({ directory: 'a', filename: 'b.mp3' }) });
    expect([refused.status, ((await refused.json()) as { code: number }).code]).toEqual([200, 401]);
    expect(await run.stop()).toEqual([{ command: 'CONFIG_FILE=./prod.json PORT=9000 npm start', code: 0, signal: null }]);
  }, 120_000);

  it('## Proxy example: upstreams, cache, streaming, unknown names and unsafe paths answer as shown', async () => {
    const [block] = shBlocks('## Proxy');
    const run = await newRun([8080, 9000, 9001]);
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
});
