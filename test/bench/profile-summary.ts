import { readFileSync } from 'node:fs';

/**
 * `node --import tsx test/bench/profile-summary.ts <file.cpuprofile> [top]`: where one thread of
 * a profile written by `npm run bench -- --cpu-prof DIR` spent its time: self time by function,
 * and by package or file. (One .cpuprofile per thread: the event loop and each pool thread.)
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top]');
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));

/** A package name for code under node_modules, else the file (node: internals keep their name). */
function place(url: string): string {
  if (!url) return '(native)';
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  return dependency ? dependency[1]! : url.replace(/^.*\/(dist|src)\//, '$1/');
}

const byFunction = new Map<string, number>();
const byPlace = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, index) => {
  const micros = profile.timeDeltas[index] ?? 0;
  const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
  const name = `${functionName || '(anonymous)'} ${place(url)}:${lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
  byPlace.set(place(url), (byPlace.get(place(url)) ?? 0) + micros);
  total += micros;
});

const print = (title: string, entries: Map<string, number>, count: number) => {
  process.stdout.write(`-- ${title}\n`);
  for (const [key, micros] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, count)) {
    process.stdout.write(`${((100 * micros) / total).toFixed(1).padStart(5)}%  ${key}\n`);
  }
};
process.stdout.write(`${file}: ${(total / 1e6).toFixed(2)} s sampled\n`);
print('self time by function', byFunction, top);
print('self time by package or file', byPlace, 15);
