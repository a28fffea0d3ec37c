import type http from 'node:http';

/**
 * Listens on a free loopback port and prints `listening <port>` (what startBaseline waits for);
 * keep-alive outlasts a run, so no client reconnects mid-run; SIGTERM closes every connection
 * and exits.
 */
export function listenForBench(server: http.Server): void {
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address() as { port: number };
    process.stdout.write(`listening ${address.port}\n`);
  });
  process.on('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
