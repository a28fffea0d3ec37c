import type { RequestHandler, Response } from 'express';
import { CODES, type ApiResult, type CodeName } from '../errors.ts';
import { addToRequestLine } from '../observability/request-logger.ts';

/** The HTTP status for a code, honouring the route's status mode (set by `useStatusMode`). */
export function statusFor(res: Response, status: number): number {
  return res.locals.legacyStatus === true ? 200 : status;
}

/** Sends `{code, reason, ...}` with the status of a code-table entry. */
export function sendResult(res: Response, codeName: CodeName, body: Partial<ApiResult> = {}): void {
  const entry = CODES[codeName];
  const reason = body.reason ?? entry.reason;
  addToRequestLine(res, { code: entry.code, reason });
  res.status(statusFor(res, entry.status)).json({ code: entry.code, reason: entry.reason, ...body });
}

/** Routes under this middleware answer HTTP 200 for every result when the mode is `legacy`. */
export function useStatusMode(mode: 'semantic' | 'legacy'): RequestHandler {
  return (_req, res, next) => {
    res.locals.legacyStatus = mode === 'legacy';
    next();
  };
}
