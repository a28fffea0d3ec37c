import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { markdownTable, type ResultRow } from './bench/lib/results.ts';
import { projectRoot, runToEnd, type Ran } from './helpers/process.ts';
import { codeBlocks, README, RUN_BY, runnableBlocks, section, sectionRange } from './helpers/readme.ts';
import { scriptCommands } from './helpers/readme-script.ts';

const packageJson = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

function run(args: string[]): Promise<Ran> {
  return runToEnd(process.execPath, args, projectRoot, process.env);
}

describe('the README keeps to what exists', () => {
  it('has every code block run by a test, or says on the line before it why not', () => {
    const ranges = Object.keys(RUN_BY).map((heading) => sectionRange(README, heading));
    const unrun = codeBlocks(README)
      .filter((block) => block.notRun === undefined && !ranges.some(([start, end]) => block.at >= start && block.at < end))
      .map((block) => `${block.lang || 'text'} block at line ${README.slice(0, block.at).split('\n').length}`);
    expect(unrun).toEqual([]);
  });

  it('names only npm scripts that package.json has', () => {
    const named = new Set([...README.matchAll(/\bnpm run ([\w:-]+)/g)].map((match) => match[1]!));
    named.add('format:check'); // written `npm run format` / `format:check`
    expect([...named].filter((script) => !(script in packageJson.scripts))).toEqual([]);
  });

  it('names and links only files of the repository that exist (patterns such as `test/readme*.test.ts` aside)', () => {
    const paths = new Set([
      ...[...README.matchAll(/(?<![\w/.-])((?:src|test|config|patches|\.ci)\/[\w./-]*)(?![\w./*<-])/g)].map((match) => match[1]!),
      ...[...README.matchAll(/\]\(((?!https?:|#)[^)]+)\)/g)].map((match) => match[1]!),
    ]);
    expect(paths.size).toBeGreaterThan(20);
    expect([...paths].filter((file) => !existsSync(path.join(projectRoot, file)))).toEqual([]);
  });

  it('## Layout: every path it lists exists', () => {
    const [layout, ...more] = runnableBlocks('## Layout');
    expect(more).toEqual([]);
    const listed = layout!.body
      .split('\n')
      .map((line) => /^(\S+)\s/.exec(line)?.[1])
      .filter((entry) => entry !== undefined);
    expect(listed.length).toBeGreaterThan(10);
    expect(listed.filter((entry) => !existsSync(path.join(projectRoot, entry)))).toEqual([]);
  });
});

describe('## Chat', () => {
  it('`node --import tsx test/bench/chat-burst.ts [runs]` replays the burst and prints its figures (one run)', async () => {
    const command = /`node (--import tsx test\/bench\/chat-burst\.ts) \[runs\]`/.exec(section(README, '## Chat'))?.[1];
    expect(command).toBeDefined();
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const burst = await run([...command!.replace('tsx', tsx).split(' '), '1']);
    expect(burst.status, burst.stderr).toBe(0);
    expect(JSON.parse(burst.stdout)).toMatchObject({
      run: 1,
      healthzMs: { n: expect.any(Number) },
      quietRoomMs: { n: expect.any(Number) },
    });
  });
});

describe('## Benchmarks', () => {
  const [block, ...more] = runnableBlocks('## Benchmarks');
  const commands = scriptCommands(block!.body);

  it('has one block of commands', () => {
    expect([block!.lang, more]).toEqual(['sh', []]);
  });

  it('`npm run bench` builds, then runs test/bench/run.ts', () => {
    expect(commands.length).toBeGreaterThan(3);
    expect(packageJson.scripts.bench).toBe('npm run build --silent && node --import tsx test/bench/run.ts');
  });

  // The runs take minutes: each command's options are checked by a dry run (`--list`), which
  // parses them strictly (an unknown option fails) and prints the scenarios they select.
  it.each(commands.map((step) => [step.command, step] as const))('$ %s selects scenarios (--list dry run)', async (_command, step) => {
    const args = /^npm run bench(?: -- (.*))?$/.exec(step.command)?.[1]?.split(' ') ?? [];
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const listed = await run(['--import', tsx, 'test/bench/run.ts', ...args, '--list']);
    expect(listed.status, listed.stderr).toBe(0);
    const scenarios = listed.stdout.trim().split('\n');
    expect(scenarios.length).toBeGreaterThan(0);
    for (const only of /--only (\S+)/.exec(step.command)?.[1]?.split(',') ?? []) {
      expect(scenarios.some((line) => line.includes(only))).toBe(true);
    }
  });

  it('shows the table and the date of test/bench/results.json', () => {
    const results = JSON.parse(readFileSync(path.join(projectRoot, 'test/bench/results.json'), 'utf8')) as {
      updated: string;
      rows: ResultRow[];
    };
    const text = section(README, '## Benchmarks');
    expect(text).toContain(markdownTable(results.rows));
    expect(text).toContain(`Latest run: ${results.updated.slice(0, 10)}`);
  });
});
