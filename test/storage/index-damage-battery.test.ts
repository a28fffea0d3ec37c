import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { outputToEnd, projectRoot } from '../helpers/process.ts';

const ROUNDS = 20;
const ENTRIES = 3 * 70;
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

// Each damage in a process of its own: a crash (SIGBUS, SIGSEGV, an assertion's SIGABRT) would end it.
describe('the metadata index under the damage battery, in a real process', () => {
  for (const kind of ['garbage', 'cut', 'random']) {
    it(`${kind}: found while open and at each restart, ${ROUNDS} rounds of ${ROUNDS}, the process never dies`, async () => {
      const child = spawn(process.execPath, ['--import', tsx, `${projectRoot}test/helpers/index-damage-battery.ts`, kind, String(ROUNDS)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const ran = await outputToEnd(child);
      expect({ status: ran.status, signal: child.signalCode, stderr: ran.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
      const rounds = ran.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(rounds).toHaveLength(ROUNDS);
      for (const round of rounds) {
        expect(round).toMatchObject({
          before: 2 * ENTRIES,
          whileRunning: 1,
          afterHeal: 2 * ENTRIES,
          atRestart: 1,
          afterRestart: 2 * ENTRIES,
          errors: [],
        });
      }
    });
  }
});
