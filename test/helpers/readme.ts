import { readFileSync } from 'node:fs';

/** README.md of the repository. */
export const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The address the README's examples use; tests put their service's in its place. */
export const README_URL = 'http://127.0.0.1:8080';

export interface Block {
  lang: string;
  body: string;
  /** Where the block starts in the markdown. */
  at: number;
  /** The reason given by a `<!-- not run: reason -->` comment right before the block. */
  notRun?: string;
}

/**
 * The test that runs each section's code blocks (a section's subsections included). Any other
 * block needs a `<!-- not run: reason -->` comment on the line before it.
 */
export const RUN_BY: Record<string, string> = {
  '## Two commands': 'test/readme-checkout.test.ts (npm start) and .ci/run (npm test)',
  '## Media API': 'test/readme.test.ts',
  '## Configuration': 'test/readme-checkout.test.ts',
  '## Running in production': 'test/readme-checkout.test.ts',
  '## Layout': 'test/readme-reference.test.ts (every path exists)',
  '## Resumable uploads': 'test/readme-resumable.test.ts',
  '## Events': 'test/readme-events.test.ts',
  '## Access: keys and signed URLs': 'test/media-signed-urls.test.ts (the Python signer)',
  '## Proxy': 'test/readme-checkout.test.ts',
  '## Contract': 'test/readme.test.ts',
  '## Benchmarks': 'test/readme-reference.test.ts (a --list dry run of each command; the table is results.json)',
};

/** The text of a `## ` or `### ` section, heading excluded, up to the next heading of its level or above. */
export function section(markdown: string, heading: string): string {
  return markdown.slice(...sectionRange(markdown, heading));
}

/** Where `section()` finds that section's text: [start, end). */
export function sectionRange(markdown: string, heading: string): [number, number] {
  const found = markdown.indexOf(`\n${heading}\n`);
  if (found === -1) throw new Error(`README has no section '${heading}'`);
  const start = found + heading.length + 2;
  const level = heading.indexOf(' ');
  const next = markdown.slice(start).search(new RegExp(`^#{1,${level}} `, 'm'));
  return [start, next === -1 ? markdown.length : start + next];
}

/** The code blocks of a README section that a test must run (those not marked `not run`). */
export function runnableBlocks(heading: string): Block[] {
  return codeBlocks(section(README, heading)).filter((block) => block.notRun === undefined);
}

/** The fenced code blocks of `markdown`, in order. */
export function codeBlocks(markdown: string): Block[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((match) => {
    const notRun = /<!-- not run: (.+?) -->\n$/.exec(markdown.slice(0, match.index))?.[1];
    return { lang: match[1]!, body: match[2]!, at: match.index, ...(notRun ? { notRun } : {}) };
  });
}

export interface ShellStep {
  /** The command, continuation lines joined. */
  command: string;
  /** The result code its trailing comment shows (`# {"code":501,...}`), if any. */
  code?: number;
  /** The JSON block that follows its block, when it is the block's last command. */
  output?: unknown;
  /** The file its comment says it saves (`# saves 歌曲.mp3`). */
  saves?: string;
}

/**
 * The shell commands of the `sh` blocks in order. A comment after whitespace and `# ` is the
 * reader's note, not part of the command; a ```json block right after an `sh` block is the
 * output of that block's last command.
 */
export function shellSteps(markdown: string): ShellStep[] {
  const blocks = codeBlocks(markdown);
  const steps: ShellStep[] = [];
  blocks.forEach((block, index) => {
    if (block.lang !== 'sh') return;
    const lines = block.body.replace(/\\\n\s*/g, ' ').split('\n');
    const commands = lines.filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
    for (const line of commands) {
      const [command = '', comment = ''] = line.split(/\s+#\s/, 2);
      const code = /\{"code":(\d+)/.exec(comment)?.[1];
      const saves = /^saves (\S+)/.exec(comment)?.[1];
      steps.push({ command: command.trim(), ...(code ? { code: Number(code) } : {}), ...(saves ? { saves } : {}) });
    }
    const next = blocks[index + 1];
    if (next?.lang === 'json' && steps.length > 0) steps.at(-1)!.output = JSON.parse(next.body);
  });
  return steps;
}

/**
 * What differs between an output the README shows and the real one (empty when they agree). In the
 * README a string ending in `...` stands for any string that starts with the rest, and `modified`
 * for any ISO 8601 time.
 */
export function outputDifferences(shown: unknown, real: unknown, where = '$'): string[] {
  if (typeof shown === 'string' && shown.endsWith('...')) {
    return typeof real === 'string' && real.startsWith(shown.slice(0, -3))
      ? []
      : [`${where}: ${JSON.stringify(real)} does not start with ${shown.slice(0, -3)}`];
  }
  if (where.endsWith('.modified')) {
    return typeof real === 'string' && !Number.isNaN(Date.parse(real)) ? [] : [`${where}: ${JSON.stringify(real)} is not a time`];
  }
  if (Array.isArray(shown)) {
    if (!Array.isArray(real) || real.length !== shown.length)
      return [`${where}: ${JSON.stringify(real)} is not an array of ${shown.length}`];
    return shown.flatMap((item, index) => outputDifferences(item, real[index], `${where}[${index}]`));
  }
  if (typeof shown === 'object' && shown !== null) {
    if (typeof real !== 'object' || real === null || Array.isArray(real)) return [`${where}: ${JSON.stringify(real)} is not an object`];
    const keys = new Set([...Object.keys(shown), ...Object.keys(real)]);
    return [...keys].flatMap((key) =>
      key in shown && key in real
        ? outputDifferences((shown as Record<string, unknown>)[key], (real as Record<string, unknown>)[key], `${where}.${key}`)
        : [`${where}.${key}: ${key in shown ? 'shown in the README only' : 'in the answer only'}`],
    );
  }
  return Object.is(shown, real) ? [] : [`${where}: ${JSON.stringify(real)}, the README shows ${JSON.stringify(shown)}`];
}
