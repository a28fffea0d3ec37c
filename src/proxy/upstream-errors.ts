import { AppError } from '../errors.ts';

/** undici error codes for an upstream that took longer than the configured timeout. */
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * What a failed upstream request means for the client: 504 when the upstream was too slow,
 * 400 when undici refused a request built from the client's own fields (it validates more
 * strictly than Node's parser), else 502: refused, reset, unresolvable or answering garbage.
 */
export function upstreamFailure(error: unknown, upstreamName: string): AppError {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TIMEOUT_CODES.has(code)) {
    return new AppError('GATEWAY_TIMEOUT', `upstream "${upstreamName}" timed out`);
  }
  if (code === 'UND_ERR_INVALID_ARG') {
    return new AppError('INVALID_ARGUMENT', `request cannot be forwarded: ${(error as Error).message}`);
  }
  return new AppError('BAD_GATEWAY', `upstream "${upstreamName}" unreachable`);
}
