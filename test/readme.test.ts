import { access, copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { runToEnd, type Ran } from './helpers/process.ts';
import { readerPath } from './helpers/readme-script.ts';
import { outputDifferences, README, README_URL, runnableBlocks, section, shellSteps } from './helpers/readme.ts';

const REPO = new URL('..', import.meta.url).pathname;
/** The scratch directory the walkthrough creates; each run uses its own temp dir instead. */
const README_SCRATCH = '/tmp/media-demo';

function run(file: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Ran> {
  return runToEnd(file, args, cwd, { PATH: readerPath(), ...env });
}

const jsonOf = (text: string): { code?: unknown } | undefined => {
  try {
    return JSON.parse(text) as { code?: unknown };
  } catch {
    return undefined;
  }
};

describe('the README walkthrough (## Media API), every command in order against a fresh service', () => {
  const steps = shellSteps(section(README, '## Media API'));
  let service: RunningService;
  let scratch: string;
  let stateDir: string;
  /** Where the next command runs: the repository at first, then wherever a `cd` left the shell. */
  let cwd = REPO;
  beforeAll(async () => {
    service = await startService();
    scratch = await mkdtemp(path.join(os.tmpdir(), 'readme-walkthrough-'));
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'readme-shell-'));
  });
  afterAll(async () => {
    await service?.close();
    await rm(scratch, { recursive: true, force: true });
    await rm(stateDir, { recursive: true, force: true });
  });

  it('has commands to run, and besides them only their outputs', () => {
    expect(steps.length).toBeGreaterThan(15);
    const blocks = runnableBlocks('## Media API');
    expect(blocks.filter((block) => block.lang === 'json')).toHaveLength(steps.filter((step) => step.output !== undefined).length);
    expect(blocks.filter((block) => !['sh', 'json'].includes(block.lang))).toEqual([]);
  });

  it.each(steps.map((step) => [step.command, step] as const))('$ %s', async (_command, step) => {
    const command = step.command.replaceAll(README_URL, service.url).replaceAll(README_SCRATCH, scratch);
    const pwdFile = path.join(stateDir, 'pwd');
    // Each command runs in its own bash; the directory it ends in carries over, as in one session.
    const ran = await run('bash', ['-c', `${command}\n__status=$?; pwd > "$README_PWD"; exit $__status`], cwd, { README_PWD: pwdFile });
    cwd = (await readFile(pwdFile, 'utf8')).trim();

    expect(ran.status, ran.stderr).toBe(0);
    const answer = jsonOf(ran.stdout);
    // An answer shown in a comment has that code; any other JSON answer must be a success.
    if (answer?.code !== undefined) expect(answer.code).toBe(step.code ?? 200);
    else expect(step.code, `no JSON answer: ${ran.stdout}`).toBeUndefined();
    if (step.output !== undefined) expect(outputDifferences(step.output, answer)).toEqual([]);
    if (step.saves !== undefined) await expect(access(path.join(cwd, step.saves))).resolves.toBeUndefined();
  });
});

describe('the README TypeScript client (### A TypeScript client)', () => {
  let service: RunningService;
  let dir: string;
  beforeAll(async () => {
    service = await startService({ auth: { tokens: ['tok1'] } });
    dir = await mkdtemp(path.join(os.tmpdir(), 'readme-client-'));
  });
  afterAll(async () => {
    await service?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('sets up as written (npm i, openapi-typescript) in a project with openapi.yaml and the sample files, runs, stores and deletes', async () => {
    // The client's two blocks are the whole of ## Contract's.
    const blocks = runnableBlocks('## Contract');
    expect(blocks.map((block) => block.lang)).toEqual(['sh', 'ts']);
    for (const file of ['openapi.yaml', 'test/fixtures/tone.mp3', 'test/fixtures/tone.wav'])
      await copyFile(path.join(REPO, file), path.join(dir, path.basename(file)));
    for (const { command } of shellSteps(`\`\`\`sh\n${blocks[0]!.body}\`\`\`\n`)) {
      const setUp = await run('bash', ['-c', command], dir, { HOME: process.env.HOME ?? '' });
      expect(setUp.status, `${command}: ${setUp.stderr}`).toBe(0);
    }
    await writeFile(path.join(dir, 'client.mts'), blocks[1]!.body.replaceAll(README_URL, service.url));

    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const ran = await run(process.execPath, ['--import', tsx, 'client.mts'], dir);
    expect(ran).toMatchObject({ status: 0, stdout: '' });
    // It stored tone.mp3 and tone.wav under songs/, then deleted tone.mp3.
    await expect(access(path.join(service.root, 'songs', 'tone.wav'))).resolves.toBeUndefined();
    await expect(access(path.join(service.root, 'songs', 'tone.mp3'))).rejects.toThrow(/ENOENT/);
  }, 120_000);
});
