import type http from 'node:http';

/** What a graceful stop needs from the answers in flight on a server. */
export interface AnswerTracker {
  /**
   * From now on, every answer closes its connection: those not started yet and every later one
   * carry `Connection: close` (RFC 9112 §9.6), so keep-alive clients go elsewhere; a connection
   * whose answer had already started is closed once that answer is done.
   */
  closeAfterAnswers(): void;
}

/**
 * Keeps the answers in flight on `server`. Node's `server.close()` closes only the connections
 * idle at that moment: a busy keep-alive connection would otherwise answer `keep-alive` and go on
 * serving requests during the whole grace period.
 */
export function trackAnswers(server: http.Server): AnswerTracker {
  const inFlight = new Set<http.ServerResponse>();
  let draining = false;
  const closeIdle = () => setImmediate(() => server.closeIdleConnections());

  const closeAfter = (res: http.ServerResponse) => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
    else res.once('finish', closeIdle);
  };
  // Before the app's listener, so a request arriving while draining is marked before it answers.
  server.prependListener('request', (_req, res) => {
    if (draining) return closeAfter(res);
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });
  return {
    closeAfterAnswers() {
      draining = true;
      for (const res of inFlight) closeAfter(res);
      inFlight.clear();
    },
  };
}
