import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { projectRoot } from './helpers/process.ts';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Decodes tone.mp3 with 4 KiB of 0xff spliced into its middle, in a process of its own; prints the samples decoded. */
const SCRIPT = `
import { readFileSync } from 'node:fs';
import { decodeMp3 } from '${projectRoot}src/analysis/mp3-decoder.ts';
const tone = readFileSync('${projectRoot}test/fixtures/tone.mp3');
const half = Math.floor(tone.length / 2);
const bytes = Buffer.concat([tone.subarray(0, half), Buffer.alloc(4096, 0xff), tone.subarray(half)]);
let samples = 0;
for await (const block of decodeMp3((async function* () { yield bytes; })())) samples += block.channelData[0].length;
console.log(JSON.stringify({ samples }));
`;

// The service's output is its JSON log: a decoder that prints a raw line per frame it cannot
// decode fills an operator's log with lines no log shipper parses.
describe('decoding a damaged MP3', () => {
  it('decodes the frames around the damage and prints nothing of its own', async () => {
    const child = spawn(process.execPath, ['--import', tsx, '--input-type=module', '-e', SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { samples: number }).samples).toBeGreaterThan(0);
    expect(stderr).toBe('');
  });
});
