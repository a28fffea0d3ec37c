import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BenchContext, type BenchOptions } from './lib/context.ts';
import { markdownTable, rowLine, thisMachine, writeResults, type ResultRow } from './lib/results.ts';
import { scenarios } from './scenarios/index.ts';

/**
 * `npm run bench [-- options]`: builds the service, runs every scenario against its baselines in
 * this one invocation, prints the table and writes test/bench/results.json.
 *   --only a,b      scenarios whose name or module contains one of these (e.g. --only media)
 *   --quick         3 s runs, 1 repetition (a smoke test; results.json is left alone)
 *   --seconds N     length of each measured run (default 10)
 *   --repeats N     repetitions per measurement, median quoted (default 3)
 *   --cpu-prof DIR  write V8 CPU profiles of the service processes to DIR (one per thread;
 *                   summarise one with `node --import tsx test/bench/profile-summary.ts FILE`)
 *   --list          print the scenarios these options select and exit: a dry run
 */
const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    repeats: { type: 'string' },
    'cpu-prof': { type: 'string' },
    list: { type: 'boolean', default: false },
  },
});

const quick = values.quick;
const options: BenchOptions = {
  seconds: Number(values.seconds ?? (quick ? 3 : 10)),
  // Long enough for V8 to finish optimising the hot paths: profiles of the service 2-4 s into
  // a run still show JIT compiler threads at ~15% of its CPU; by 6 s they are gone.
  warmupSeconds: quick ? 1 : 5,
  repeats: Number(values.repeats ?? (quick ? 1 : 3)),
  cpuProfDir: values['cpu-prof'] ? path.resolve(values['cpu-prof']) : undefined,
};

const filters = values.only
  ?.split(',')
  .map((f) => f.trim().toLowerCase())
  .filter(Boolean);
const selected = scenarios.filter((s) => !filters || filters.some((f) => s.name.toLowerCase().includes(f) || s.module.toLowerCase() === f));
if (selected.length === 0) throw new Error(`no scenario matches --only ${values.only}`);
if (values.list) {
  process.stdout.write(`${selected.map((s) => `${s.module}: ${s.name}`).join('\n')}\n`);
  process.exit(0);
}
if (options.cpuProfDir) mkdirSync(options.cpuProfDir, { recursive: true });

const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'media-bench-'));
const cleanUp = () => rmSync(tmpRoot, { recursive: true, force: true });
process.once('SIGINT', () => {
  cleanUp();
  process.exit(130);
});

const machine = thisMachine();
const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
process.stderr.write(
  `${command}: ${selected.length} scenarios, ${options.seconds} s runs x ${options.repeats}, ` +
    `${machine.cores} cores (${machine.cpu}), Node ${machine.node}; scratch ${tmpRoot}\n`,
);

const started = Date.now();
const rows: ResultRow[] = [];
try {
  const ctx = new BenchContext(options, tmpRoot);
  for (const scenario of selected) {
    process.stderr.write(`\n== ${scenario.name}\n`);
    for (const row of await scenario.run(ctx)) {
      rows.push(row);
      process.stderr.write(`${rowLine(row)}\n`);
    }
  }
} finally {
  // Every file of every run is deleted only now, so no run measured a deletion's aftermath.
  cleanUp();
}

const minutes = ((Date.now() - started) / 60_000).toFixed(1);
process.stdout.write(
  `\n${command}  (${new Date().toISOString().slice(0, 10)}, ${machine.cores} cores, ${machine.cpu}, Node ${machine.node}, ${minutes} min)\n\n`,
);
process.stdout.write(`${markdownTable(rows)}\n`);
if (!quick) {
  const file = new URL('./results.json', import.meta.url).pathname;
  writeResults(file, rows, command);
  process.stdout.write(`\nwrote ${file}\n`);
}
const failed = rows.filter((row) => row.pass === false).length;
process.stdout.write(`${failed === 0 ? 'all targets met' : `${failed} target(s) missed`}\n`);
