import { readFileSync } from 'node:fs';
import os from 'node:os';

/**
 * A process of this host as a lock holder names it: its pid and the clock tick it started at
 * (Linux `/proc/<pid>/stat` field 22), so a pid reused by a later process does not pass for the
 * holder. Without /proc the pid alone is kept.
 */
export interface ProcessIdentity {
  host: string;
  pid: number;
  /** '' where /proc cannot tell. */
  started: string;
}

function startTickOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

let own: ProcessIdentity | undefined;

/** This process (its start tick read once). */
export function thisProcess(): ProcessIdentity {
  own ??= { host: os.hostname(), pid: process.pid, started: startTickOf(process.pid) ?? '' };
  return own;
}

/**
 * Whether the holder is a process of this host that is gone: false for another host's or one that
 * runs (signal 0 only checks; EPERM means it exists under another user).
 */
export function diedOnThisHost(holder: ProcessIdentity): boolean {
  if (holder.host !== thisProcess().host) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  // Alive under that pid: the holder only if it started when the holder did (else the pid was reused).
  const started = holder.started === '' ? undefined : startTickOf(holder.pid);
  return started !== undefined && started !== holder.started;
}

/** `host/pid/started/token`: what a lock holds, so any process can tell whose it is. */
export function holderToken(token: string): string {
  const { host, pid, started } = thisProcess();
  return `${host}/${pid}/${started}/${token}`;
}

/** The holder a lock's value names; undefined for a value of another shape. */
export function holderOf(value: string): ProcessIdentity | undefined {
  const [host, pid, started, token] = value.split('/');
  if (host === undefined || token === undefined || !/^\d+$/.test(pid ?? '')) return undefined;
  return { host, pid: Number(pid), started: started ?? '' };
}
