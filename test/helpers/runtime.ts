import { readdirSync, readFileSync, realpathSync } from 'node:fs';

/** The Node version a running service reports: `nodejs_version_info{version="v24.21.0",...}` in its /metrics. */
export async function nodeVersionOf(url: string): Promise<string> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const match = /^nodejs_version_info\{version="(v[\d.]+)"/m.exec(metrics);
  if (!match) throw new Error(`no nodejs_version_info in /metrics:\n${metrics.slice(0, 500)}`);
  return match[1]!;
}

/**
 * The executables (real paths, from /proc) that `rootPid` and its descendants run, for those whose
 * command line contains `marker` (e.g. `src/start.js`: the service, a cluster's primary and workers).
 */
export function executablesOf(rootPid: number, marker: string): string[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const found: string[] = [];
  const pending = [rootPid];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    pending.push(...(children.get(pid) ?? []));
    try {
      if (
        readFileSync(`/proc/${pid}/cmdline`, 'utf8')
          .split('\0')
          .some((arg) => arg.includes(marker))
      )
        found.push(realpathSync(`/proc/${pid}/exe`));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
