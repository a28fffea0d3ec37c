import type { Response as ExpressResponse } from 'express';
import { AppError, CODES, fileTooLargeReason, type CodeName } from '../../errors.ts';
import { addToRequestLine } from '../../observability/request-logger.ts';
import { CHECKSUM_ALGORITHMS } from './checksum-header.ts';

/** @tus/server's own answers (`{status_code, body}` errors and the ones it writes itself), by status. */
const BY_STATUS: Record<number, CodeName> = {
  400: 'INVALID_ARGUMENT',
  // tus-node-server answers 403 for a missing Upload-Offset or Content-Type: a bad request.
  403: 'INVALID_ARGUMENT',
  404: 'NOT_FOUND',
  409: 'UPLOAD_OFFSET_CONFLICT',
  410: 'UPLOAD_GONE',
  412: 'PRECONDITION_FAILED',
  413: 'TOO_LARGE',
  423: 'UPLOAD_LOCKED',
  460: 'CHECKSUM_MISMATCH',
  // "extension not supported" (concatenation, deferred length): the request asks for what is not offered.
  501: 'INVALID_ARGUMENT',
};

/** An error a tus handler threw, as an entry of the code table. */
export function asAppError(error: unknown, maxFileSize: number): AppError | undefined {
  if (error instanceof AppError) return error;
  const { status_code: status, body } = (error ?? {}) as { status_code?: number; body?: string };
  if (status === undefined) return undefined;
  if (status === 413 && /maximum size/i.test(body ?? '')) return new AppError('TOO_LARGE', fileTooLargeReason(maxFileSize));
  const codeName = BY_STATUS[status] ?? 'UNKNOWN';
  return new AppError(codeName, codeName === 'UNKNOWN' ? undefined : tusReason(codeName, body));
}

function tusReason(codeName: CodeName, body: string | undefined): string {
  const detail = (body ?? '').trim().replace(/\.$/, '');
  return detail ? `${CODES[codeName].reason}: ${detail}` : CODES[codeName].reason;
}

/** The JSON body for @tus/server's `onResponseError`. */
export function errorBody(error: AppError): { status_code: number; body: string } {
  return { status_code: error.entry.status, body: JSON.stringify(error.toJSON()) };
}

/**
 * Sends @tus/server's answer through Express. CORS headers are the `cors` middleware's (tus's own
 * would allow every origin); bodies of failures are JSON `{code, reason}` like every answer here.
 */
export async function sendTusAnswer(res: ExpressResponse, answer: Response): Promise<void> {
  let body = Buffer.from(await answer.arrayBuffer());
  let status = answer.status;
  answer.headers.forEach((value, name) => {
    if (name.startsWith('access-control-') || name === 'content-length' || name === 'content-type') return;
    res.setHeader(name, value);
  });
  // The capabilities (OPTIONS) only, not a 412's Tus-Version.
  if (answer.headers.has('tus-extension')) res.setHeader('Tus-Checksum-Algorithm', CHECKSUM_ALGORITHMS.join(','));
  if (body.length > 0) {
    const json = parseJson(body);
    if (status >= 400 && json?.code === undefined) {
      const error = asAppError({ status_code: status, body: body.toString('utf8') }, 0) ?? new AppError('UNKNOWN');
      status = error.entry.status;
      body = Buffer.from(JSON.stringify(error.toJSON()));
    }
    res.type('application/json');
    // As every JSON answer of the service (json-line.ts).
    if (body.at(-1) !== 0x0a) body = Buffer.concat([body, Buffer.from('\n')]);
  }
  const code = parseJson(body)?.code;
  // RFC 9110 11.6.1: a 401 names the scheme (the owner check of an upload answers from a tus hook).
  if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
  if (code !== undefined) addToRequestLine(res, { code });
  if (code === CODES.FILE_EXISTS.code && status === CODES.FILE_EXISTS.status) status = CODES.UPLOAD_FILE_EXISTS.status;
  // The tus checksum extension's reason phrase; Node knows none for 460 and would send "unknown".
  if (status === CODES.CHECKSUM_MISMATCH.status) res.statusMessage = 'Checksum Mismatch';
  res.status(status).end(body);
}

function parseJson(body: Buffer): { code?: number } | undefined {
  try {
    return JSON.parse(body.toString('utf8')) as { code?: number };
  } catch {
    return undefined;
  }
}
