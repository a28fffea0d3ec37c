import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { AppError } from '../errors.ts';
import { redactedUrl } from '../observability/redacted-url.ts';
import { addToRequestLine } from '../observability/request-logger.ts';
import { statusFor } from './answers.ts';
import { fromParserError } from './parser-errors.ts';

/** The last middleware: every error becomes `{code, reason}`; unknown errors are logged, never shown. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const known = error instanceof AppError ? error : fromParserError(error);
    // An error because the client left mid-request (multer's "Request aborted", a cut write) is no
    // fault of the service: the request line already reports it, at info, with `aborted: true`.
    const clientLeft = req.destroyed && !req.complete;
    if (!known && !clientLeft) logger.error({ err: error, method: req.method, url: redactedUrl(req.originalUrl) }, 'unhandled error');
    const answer = known ?? new AppError('UNKNOWN');
    if (answer.entry.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
    addToRequestLine(res, { code: answer.code, reason: answer.message });
    // type(): a handler may have set the Content-Type of the answer it meant to give.
    res.status(statusFor(res, answer.entry.status)).type('application/json').json(answer.toJSON());
  };
}

/** JSON 404 for any route nobody handled. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError('NOT_FOUND', `no route for ${req.method} ${req.path}`));
};
