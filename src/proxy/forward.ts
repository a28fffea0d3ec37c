import type { IncomingHttpHeaders } from 'node:http';
import { pipeline, type Transform, type Writable } from 'node:stream';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { errors, type Dispatcher } from 'undici';
import type { Metrics } from '../observability/metrics.ts';
import { bodyReceived, requestBody } from './request-body.ts';
import { upstreamRequestHeaders } from './request-headers.ts';
import { downstreamHeaders } from './response-headers.ts';
import { upstreamFailure } from './upstream-errors.ts';
import type { Upstream } from './upstream-registry.ts';

/** Status and header fields of an upstream answer, as received. */
export interface AnswerHead {
  statusCode: number;
  headers: IncomingHttpHeaders;
}

export interface ForwardOptions {
  /** Path and query on the upstream, percent-encoded, starting with `/`. */
  path: string;
  logger: Logger;
  metrics: Metrics;
  /** Called with the answer's head before its body flows; may return a stage to pass the body through. */
  tap?: (head: AnswerHead) => Transform | undefined;
}

/**
 * Forwards `req` to the upstream and streams its answer back. Bodies stream both ways with
 * backpressure; nothing is buffered whole. A client that goes away aborts the upstream request.
 * Failures before the answer starts become 502/504 AppErrors; after it started, the only honest
 * signal left is to cut the client's connection.
 *
 * A dispatch handler writes the upstream body straight into `res` (or the tap's stage): no
 * intermediate Readable and no stream.pipeline(). It also keeps the timeout: undici's own
 * headersTimeout/bodyTimeout run on coarse timers (ticks of ~0.5 s: every value up to 1 s fired
 * at 1 s), so one native timer here covers the wait for the head (restarted by each chunk of the
 * request body, as undici's is) and then the silence between answer chunks (not while the client
 * holds the answer back).
 */
export function forward(upstream: Upstream, req: Request, res: Response, options: ForwardOptions): Promise<void> {
  const labels = { upstream: upstream.name };
  const answered = options.metrics.proxyDuration.startTimer(labels);
  return new Promise((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let destination: Writable | undefined;
    let clientLeft = false;
    let paused = false;
    // A reason to abort that came before undici handed over the request's controller.
    let pendingAbort: Error | undefined;
    const abort = (reason: Error) => {
      if (controller) controller.abort(reason);
      else pendingAbort = reason;
    };
    const deadline = setTimeout(() => {
      if (paused) return;
      abort(destination ? new errors.BodyTimeoutError() : new errors.HeadersTimeoutError());
    }, upstream.timeoutMs);
    const restartDeadline = () => deadline.refresh();
    req.on('data', restartDeadline);
    const settle = () => {
      clearTimeout(deadline);
      req.off('data', restartDeadline);
    };
    res.once('close', () => {
      if (res.writableFinished) return;
      clientLeft = true;
      abort(new errors.RequestAbortedError());
    });

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(started) {
        controller = started;
        if (pendingAbort) started.abort(pendingAbort);
      },
      onResponseStart(started, statusCode, headers) {
        // 1xx answers are this hop's business: Node answers the client's Expect itself.
        if (statusCode < 200) return;
        deadline.refresh();
        req.off('data', restartDeadline);
        answered({ status: String(statusCode) });
        res.statusCode = statusCode;
        for (const [name, value] of downstreamHeaders(headers, statusCode)) res.setHeader(name, value);
        const stage = options.tap?.({ statusCode, headers });
        if (stage) {
          // pipeline() adds seven 'close' listeners of its own to the response, past Node's default
          // limit of ten with the request's own: a leak warning on every cached answer, for none.
          res.setMaxListeners(res.getMaxListeners() + 7);
          // Either end failing destroys the other: the stage then fails and the upstream is aborted.
          pipeline(stage, res, () => {});
        }
        destination = stage ?? res;
        destination.once('error', (error) => started.abort(error));
      },
      onResponseData(started, chunk) {
        deadline.refresh();
        if (destination!.write(chunk)) return;
        paused = true;
        started.pause();
        destination!.once('drain', () => {
          paused = false;
          deadline.refresh();
          started.resume();
        });
      },
      onResponseEnd() {
        settle();
        destination?.end();
        resolve();
      },
      onResponseError(_started, error) {
        settle();
        if (destination) {
          // The answer had started: cutting the client's connection is the only signal left.
          const level = clientLeft ? 'debug' : 'warn';
          options.logger[level]({ err: error, upstream: upstream.name }, 'proxy: answer cut');
          destination.destroy(error);
          if (destination !== res) res.destroy(error);
          return resolve();
        }
        if (clientLeft) {
          options.metrics.proxyErrors.inc({ ...labels, kind: 'client_aborted' });
          return resolve();
        }
        options.logger.warn({ err: error, upstream: upstream.name }, 'proxy: upstream request failed');
        const failure = upstreamFailure(error, upstream.name);
        options.metrics.proxyErrors.inc({ ...labels, kind: failure.codeName === 'GATEWAY_TIMEOUT' ? 'timeout' : 'unreachable' });
        void bodyReceived(req, upstream.timeoutMs).then(() => reject(failure));
      },
    };
    upstream.pool.dispatch(
      { method: req.method as Dispatcher.HttpMethod, path: options.path, headers: upstreamRequestHeaders(req), body: requestBody(req) },
      handler,
    );
  });
}
