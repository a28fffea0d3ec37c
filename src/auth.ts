import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Config } from './config.ts';
import { AppError, sendResult } from './errors.ts';

const digest = (token: string) => createHash('sha256').update(token).digest();

/**
 * Requires `Authorization: Bearer <token>` with one of `tokens`; a no-op when the list is empty.
 * Tokens are compared as SHA-256 digests with timingSafeEqual, against every configured token, so
 * the time taken reveals neither a token's length nor which one was close.
 */
export function requireBearer(tokens: readonly string[]): RequestHandler {
  const accepted = tokens.map(digest);
  return (req, _res, next) => {
    if (accepted.length === 0) return next();
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const presented = digest(match?.[1] ?? '');
    let ok = false;
    for (const token of accepted) ok = timingSafeEqual(token, presented) || ok;
    next(ok && match ? undefined : new AppError('UNAUTHORIZED'));
  };
}

/**
 * GET /auth: which media requests need a bearer token, so a client (the library page) can offer a
 * token form only where one is needed. Says nothing about the tokens themselves.
 */
export function authStatus(auth: Config['auth']): RequestHandler {
  const writesNeedToken = auth.tokens.length > 0;
  const body = { writesNeedToken, readsNeedToken: writesNeedToken && auth.protectReads };
  return (_req, res) => sendResult(res, 'OK', body);
}
