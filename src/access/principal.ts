import { AsyncLocalStorage } from 'node:async_hooks';
import type { Response } from 'express';
import type { AccessKey } from './key-ring.ts';
import type { VerifiedSignature } from './url-signer.ts';

/** Who a request speaks for, as `identify` found it. */
export type Principal =
  /** No key or token is configured: the service is open, as before keys existed. */
  | { kind: 'open' }
  /** Keys are configured and the request brought none. */
  | { kind: 'anonymous' }
  | { kind: 'key'; key: AccessKey }
  | ({ kind: 'signature' } & VerifiedSignature);

const PRINCIPAL = Symbol('principal');
type WithPrincipal = Response['locals'] & { [PRINCIPAL]?: Principal };

export function setPrincipal(res: Response, principal: Principal): void {
  (res.locals as WithPrincipal)[PRINCIPAL] = principal;
}

/** The request's principal; `fallback` where `identify` did not run (a preflight). */
export function principalOf(res: Response, fallback: Principal = { kind: 'anonymous' }): Principal {
  return (res.locals as WithPrincipal)[PRINCIPAL] ?? fallback;
}

/**
 * The principal of the tus request being handled: @tus/server's hooks get a web Request only, so
 * /uploads runs its handler inside this context.
 */
export const tusPrincipal = new AsyncLocalStorage<Principal>();
