import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Linux reports CPU time in clock ticks of 1/100 s (USER_HZ). */
const TICK = 0.01;

/** CPU seconds the whole machine spent busy (user, nice, system, irq, softirq) since boot. */
function machineBusySeconds(): number {
  const [, user, nice, system, , , irq, softirq] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  return (user! + nice! + system! + irq! + softirq!) * TICK;
}

/** CPU seconds (user + system, all threads) of one process so far; 0 once it is gone. */
function processSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK;
  } catch {
    return 0;
  }
}

export interface CpuShares {
  /** The server's CPU, in % of the whole machine (all cores). */
  serverCpuPct: number;
  /**
   * CPU used by everything but the server and the load process, in % of the machine: other
   * work on a shared machine competes with the run and makes its figures noisy.
   */
  backgroundCpuPct: number;
  /** The load generator's own CPU, in % of the machine: on a small machine it competes with the server. */
  loadCpuPct: number;
  /** The server's CPU seconds (all threads) in the window. */
  serverCpuSeconds: number;
}

/** Starts measuring; call the result with the load process's own CPU seconds when the run ends. */
/**
 * `helperPids`: processes that are part of the setup (e.g. the upstream behind the proxy); their
 * CPU is neither the server's nor other work's.
 */
export function cpuWindow(serverPid: number, helperPids: number[] = []): (loadCpuSeconds: number) => CpuShares {
  const started = performance.now();
  const machine0 = machineBusySeconds();
  const server0 = processSeconds(serverPid);
  const helpers = () => helperPids.reduce((sum, pid) => sum + processSeconds(pid), 0);
  const helpers0 = helpers();
  return (loadCpuSeconds) => {
    const capacity = ((performance.now() - started) / 1000) * os.cpus().length;
    const server = processSeconds(serverPid) - server0;
    const background = machineBusySeconds() - machine0 - server - (helpers() - helpers0) - loadCpuSeconds;
    const pct = (seconds: number) => Math.max(0, (100 * seconds) / capacity);
    return { serverCpuPct: pct(server), backgroundCpuPct: pct(background), loadCpuPct: pct(loadCpuSeconds), serverCpuSeconds: server };
  };
}
