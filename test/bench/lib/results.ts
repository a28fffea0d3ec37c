import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { round } from './context.ts';

export interface Machine {
  cores: number;
  cpu: string;
  memoryGiB: number;
  node: string;
  os: string;
}

export function thisMachine(): Machine {
  return {
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
  };
}

/** How a figure is judged: a ratio to its baseline at least / at most a bound, or a value at most / at least a bound. */
export type Target =
  | { ratioAtLeast: number }
  | { ratioAtMost: number }
  | { atMost: number }
  | { atLeast: number }
  /** The value exceeds the baseline by this much at most (peak RSS: a peer's + 32 MiB). */
  | { aboveAtMost: number }
  | { report: true };

export interface ResultRow {
  scenario: string;
  figure: string;
  value: number;
  unit: string;
  /** Each repetition's value; `value` is their median. */
  runs: number[];
  baselineName: string | null;
  baseline: number | null;
  ratio: number | null;
  target: string;
  /** null: reported, no target. */
  pass: boolean | null;
  /** Median CPU used by other work on the machine during the service's runs, % of all cores. */
  backgroundCpuPct: number | null;
  /** Repetitions run again because other work disturbed them (lib/context.ts). */
  discardedRuns: number;
  date: string;
  machine: Machine;
}

export interface RowInput {
  scenario: string;
  figure: string;
  unit: string;
  value: number;
  runs: number[];
  baseline?: { name: string; value: number };
  target: Target;
  backgroundCpuPct?: number;
  discardedRuns?: number;
}

export function makeRow(input: RowInput): ResultRow {
  const ratio = input.baseline ? input.value / input.baseline.value : null;
  let target = 'report';
  let pass: boolean | null = null;
  if ('ratioAtLeast' in input.target) {
    target = `>= ${Math.round(input.target.ratioAtLeast * 100)}% of ${input.baseline?.name ?? '?'}`;
    pass = ratio !== null && ratio >= input.target.ratioAtLeast;
  } else if ('ratioAtMost' in input.target) {
    target = `<= ${Math.round(input.target.ratioAtMost * 100)}% of ${input.baseline?.name ?? '?'}`;
    pass = ratio !== null && ratio <= input.target.ratioAtMost;
  } else if ('atMost' in input.target) {
    target = `<= ${input.target.atMost} ${input.unit}`;
    pass = input.value <= input.target.atMost;
  } else if ('aboveAtMost' in input.target) {
    target = `<= ${input.baseline?.name ?? '?'} + ${input.target.aboveAtMost} ${input.unit}`;
    pass = input.baseline !== undefined && input.value - input.baseline.value <= input.target.aboveAtMost;
  } else if ('atLeast' in input.target) {
    target = `>= ${input.target.atLeast} ${input.unit}`;
    pass = input.value >= input.target.atLeast;
  }
  return {
    scenario: input.scenario,
    figure: input.figure,
    value: round(input.value),
    unit: input.unit,
    runs: input.runs.map(round),
    baselineName: input.baseline?.name ?? null,
    baseline: input.baseline ? round(input.baseline.value) : null,
    ratio: ratio === null ? null : Math.round(ratio * 1000) / 1000,
    target,
    pass,
    backgroundCpuPct: input.backgroundCpuPct === undefined ? null : Math.round(input.backgroundCpuPct),
    discardedRuns: input.discardedRuns ?? 0,
    date: new Date().toISOString(),
    machine: thisMachine(),
  };
}

const verdict = (pass: boolean | null) => (pass === null ? 'report' : pass ? 'PASS' : 'FAIL');

/** One line per row, for the log as each scenario finishes. */
/** One figure of a repeated measurement: its label, the key in the figures, its unit and target. */
export type FigureSpec<K extends string> = readonly [figure: string, key: K, unit: string, target: Target];

type Figures<K extends string> = Record<K, number> & { backgroundCpuPct: number };

/** A row per figure: the service's medians against the same figure of a baseline. */
export function figureRows<K extends string>(
  scenario: string,
  figures: readonly FigureSpec<K>[],
  service: { median: Figures<K>; runs: Figures<K>[]; discarded: number },
  baseline: { name: string; median: Record<K, number> },
): ResultRow[] {
  return figures.map(([figure, key, unit, target]) =>
    makeRow({
      scenario,
      figure,
      unit,
      value: service.median[key],
      runs: service.runs.map((run) => run[key]),
      baseline: { name: baseline.name, value: baseline.median[key] },
      target,
      backgroundCpuPct: service.median.backgroundCpuPct,
      discardedRuns: service.discarded,
    }),
  );
}

export function rowLine(row: ResultRow): string {
  const base = row.baseline === null ? '' : `  vs ${row.baselineName} ${row.baseline} -> ${(row.ratio! * 100).toFixed(0)}%`;
  const background = row.backgroundCpuPct === null ? '' : `  (other load ${row.backgroundCpuPct}%)`;
  return `${verdict(row.pass).padEnd(6)} ${row.scenario} | ${row.figure}: ${row.value} ${row.unit}${base}  [${row.target}]${background}`;
}

/** The Markdown table the README quotes. */
export function markdownTable(rows: ResultRow[]): string {
  const lines = ['| scenario | figure | service | baseline | ratio | target | result | other load |', '|---|---|---|---|---|---|---|---|'];
  for (const row of rows) {
    const baseline = row.baseline === null ? '' : `${row.baseline} ${row.unit} (${row.baselineName})`;
    const ratio = row.ratio === null ? '' : `${(row.ratio * 100).toFixed(0)}%`;
    const rerun = row.discardedRuns > 0 ? ` (${row.discardedRuns} run repeated)` : '';
    const background = row.backgroundCpuPct === null ? '' : `${row.backgroundCpuPct}%${rerun}`;
    lines.push(
      `| ${row.scenario} | ${row.figure} | ${row.value} ${row.unit} | ${baseline} | ${ratio} | ${row.target} | ${verdict(row.pass)} | ${background} |`,
    );
  }
  return lines.join('\n');
}

/**
 * Writes results.json: rows of the scenarios run now replace that scenario's earlier rows, rows
 * of scenarios not run now (e.g. `--only media`) are kept, each with its own date and machine.
 */
export function writeResults(file: string, rows: ResultRow[], command: string): void {
  const previous: ResultRow[] = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { rows: ResultRow[] }).rows : [];
  const rerun = new Set(rows.map((row) => row.scenario));
  const kept = previous.filter((row) => !rerun.has(row.scenario));
  const document = { command, updated: new Date().toISOString(), machine: thisMachine(), rows: [...kept, ...rows] };
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
}
