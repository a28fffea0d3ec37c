import type { RequestHandler } from 'express';
import type { Access } from './access/access.ts';
import { sendResult } from './http/answers.ts';

/**
 * GET /auth: which media requests need a key, and what the presented key may do, so a client
 * (the library page) can offer a key form only where one is needed and only the buttons the key
 * can use. Says nothing about the secrets themselves.
 */
export function authStatus(access: Access): RequestHandler {
  const writesNeedToken = access.keys.enabled;
  const readsNeedToken = writesNeedToken && access.auth.protectReads;
  return (_req, res) => {
    const principal = access.principal(res);
    const key =
      principal.kind === 'key'
        ? { id: principal.key.id, scopes: [...principal.key.scopes], directories: principal.key.directories ?? null }
        : undefined;
    sendResult(res, 'OK', { writesNeedToken, readsNeedToken, signedUrls: access.signer.enabled, ...(key ? { key } : {}) });
  };
}
