import { PassThrough, pipeline, type Readable, type Transform } from 'node:stream';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { errors, type Dispatcher } from 'undici';
import type { Metrics } from '../observability/metrics.ts';
import { upstreamRequestHeaders } from './request-headers.ts';
import { downstreamHeaders } from './response-headers.ts';
import { upstreamFailure } from './upstream-errors.ts';
import type { Upstream } from './upstream-registry.ts';

/** Status and header fields of an upstream answer, as received. */
export type AnswerHead = Pick<Dispatcher.ResponseData, 'statusCode' | 'headers'>;

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
 * signal left is to cut the client's connection, which undici does.
 *
 * `pool.stream()` writes the upstream body straight into `res` (or the tap's stage): no
 * intermediate Readable and no stream.pipeline(), whose per-call AbortController and
 * DOMException were a visible share of the proxy's CPU under load.
 */
export async function forward(upstream: Upstream, req: Request, res: Response, options: ForwardOptions): Promise<void> {
  const cancel = new AbortController();
  let clientLeft = false;
  res.once('close', () => {
    if (res.writableFinished) return;
    clientLeft = true;
    cancel.abort();
  });
  // The wait for the answer's head, timed here: undici's headersTimeout runs on its coarse timers
  // (ticks of ~0.5 s; every value up to 1 s fired at 1 s). Like undici's, it restarts with each
  // chunk of the request body, so a long upload is not cut while it moves.
  const headDeadline = setTimeout(() => cancel.abort(new errors.HeadersTimeoutError()), upstream.timeoutMs);
  const restartDeadline = () => headDeadline.refresh();
  req.on('data', restartDeadline);

  const labels = { upstream: upstream.name };
  const answered = options.metrics.proxyDuration.startTimer(labels);
  let started = false;
  try {
    await upstream.pool.stream(
      {
        method: req.method,
        path: options.path,
        headers: upstreamRequestHeaders(req),
        body: bodyOf(req),
        signal: cancel.signal,
      },
      (answer) => {
        started = true;
        clearTimeout(headDeadline);
        answered({ status: String(answer.statusCode) });
        res.statusCode = answer.statusCode;
        for (const [name, value] of downstreamHeaders(answer.headers, answer.statusCode)) res.setHeader(name, value);
        const stage = options.tap?.(answer);
        if (!stage) return res;
        // Either end failing destroys the other: undici then sees the stage fail and aborts.
        pipeline(stage, res, () => {});
        return stage;
      },
    );
  } catch (error) {
    if (started) {
      // undici has destroyed the answer's destination: the client sees a cut connection.
      const level = CLIENT_ABORT_CODES.has((error as { code?: string }).code ?? '') || clientLeft ? 'debug' : 'warn';
      options.logger[level]({ err: error, upstream: upstream.name }, 'proxy: answer cut');
      return;
    }
    if (clientLeft || req.socket.destroyed) {
      options.metrics.proxyErrors.inc({ ...labels, kind: 'client_aborted' });
      return;
    }
    options.logger.warn({ err: error, upstream: upstream.name }, 'proxy: upstream request failed');
    const failure = upstreamFailure(error, upstream.name);
    options.metrics.proxyErrors.inc({ ...labels, kind: failure.codeName === 'GATEWAY_TIMEOUT' ? 'timeout' : 'unreachable' });
    throw failure;
  } finally {
    clearTimeout(headDeadline);
    req.off('data', restartDeadline);
  }
}

/** How a body pipeline fails when the client, not the upstream, went away. */
const CLIENT_ABORT_CODES = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_ABORTED']);

/**
 * The client's body as a stream of its own, or null: RFC 9112 §6.3, a request has a body exactly
 * when it has Transfer-Encoding or Content-Length. Never `req` itself: undici destroys the body it
 * was given when done, and for an IncomingMessage first sets its `socket` to null (undici
 * core/util.js destroy()), which broke every later reader of `req.socket` (the request log line,
 * `req.ip`, the error path below). If undici stops reading early (the upstream failed), the rest
 * of the body is drained as Node does for unread bodies, so the client can read its 502/504.
 */
function bodyOf(req: Request): Readable | null {
  if (req.headers['transfer-encoding'] === undefined && req.headers['content-length'] === undefined) return null;
  const body = new PassThrough();
  body.once('close', () => {
    if (req.complete) return;
    req.unpipe(body);
    req.resume();
  });
  return req.pipe(body);
}
