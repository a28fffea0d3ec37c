import { getPriority, setPriority } from 'node:os';

/**
 * Pool threads run below the event loop (nice +10 relative to the process): on a machine with
 * few cores they otherwise preempt the thread that accepts and parses requests, which then waits
 * tens of ms. The pool's work still gets every idle cycle. On Linux, niceness is per thread
 * (setpriority(0) names the calling thread); elsewhere it would renice the whole process, so it
 * is left alone there.
 */
const POOL_NICENESS = 10;

/** Once per thread: a thread loads several worker modules, each of which asks for it. */
let lowered = false;

export function runBelowEventLoop(): void {
  if (lowered || process.platform !== 'linux') return;
  lowered = true;
  setPriority(0, Math.min(19, getPriority(0) + POOL_NICENESS));
}
