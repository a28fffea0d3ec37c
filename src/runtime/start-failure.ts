import type { Config } from '../config.ts';

/** A start-up problem the operator must fix; its message is one line naming the key or path. */
export class StartFailure extends Error {
  override name = 'StartFailure';
}

/** Why a listen failed, by errno, as the operator would fix it. */
const listenProblems: Record<string, string> = {
  EADDRINUSE: 'the address is already in use (another process listens there)',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'the address is not one of this machine (server.host)',
};

/**
 * The one line to print for an error thrown while starting, or undefined for an unexpected one
 * (a bug: its stack is worth printing).
 */
export function startFailureLine(error: unknown, config: Config): string | undefined {
  if (error instanceof StartFailure) return error.message;
  const { code, syscall } = (error ?? {}) as NodeJS.ErrnoException;
  // A cluster worker's listen goes through the primary, whose failure reaches the worker as `bind`.
  if ((syscall === 'listen' || syscall === 'bind') && code && listenProblems[code]) {
    const { host, port } = config.server;
    return `cannot listen on ${host}:${port} (server.port, server.host): ${listenProblems[code]}`;
  }
  return undefined;
}
