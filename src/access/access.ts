import type { RequestHandler, Response } from 'express';
import { AppError } from '../errors.ts';
import { addToRequestLine } from '../observability/request-logger.ts';
import type { AuthConfig, Scope } from './config.ts';
import { covers, leadsTo } from './directories.ts';
import { KeyRing, type AccessKey } from './key-ring.ts';
import { principalOf, setPrincipal, type Principal } from './principal.ts';
import { UrlSigner, type SignedClaims } from './url-signer.ts';

/** The file a request targets (media/schemas.ts MediaPath): what a key's directories and a signature's claims are checked against. */
type MediaPath = { directory: string; filename: string };

const BEARER = /^Bearer[ ]+(\S+)\s*$/i;

/** What a listing may show: everything, or only the directories that lead to readable ones. */
export type ListingView = { all: true } | { all: false; shows: (directory: string) => boolean };

/**
 * Who may do what: scoped keys (`auth.keys`, and `auth.tokens` as keys with every scope in every
 * directory) and signed URLs. `identify` finds the request's principal; the routes then ask the
 * `may*` methods, which throw 401 (no or unknown credentials) or 403 (a known key or a valid
 * signature that does not cover the request, the reason naming what is missing).
 */
export class Access {
  readonly keys: KeyRing;
  readonly signer: UrlSigner;

  constructor(
    readonly auth: AuthConfig,
    now: () => number = Date.now,
  ) {
    this.keys = new KeyRing(auth);
    this.signer = new UrlSigner(auth, now);
  }

  get protectMetrics(): boolean {
    return this.keys.enabled && (this.auth.protectMetrics ?? this.auth.protectReads);
  }

  /**
   * Finds the principal: a valid `signature` query parameter, else a known bearer key. A signature
   * that does not verify, or a bearer secret no key has, is 401 at once. The log line gets the
   * key's id or the signing key's, never a secret.
   */
  identify: RequestHandler = (req, res, next) => {
    const { signature } = req.query;
    if (signature !== undefined) {
      if (typeof signature !== 'string') throw new AppError('SIGNATURE_INVALID', 'signature does not match: given more than once');
      // Only a signature waits for anything: other requests go on in the same tick, as before keys existed.
      return this.signer.verify(signature).then((verified) => {
        addToRequestLine(res, { signingKey: verified.kid, signed: verified.claims.op });
        setPrincipal(res, { kind: 'signature', ...verified });
        next();
      }, next);
    }
    if (!this.keys.enabled) {
      setPrincipal(res, { kind: 'open' });
      return next();
    }
    const header = req.headers.authorization;
    if (header === undefined) {
      setPrincipal(res, { kind: 'anonymous' });
      return next();
    }
    const key = this.keys.find(BEARER.exec(header)?.[1] ?? '');
    if (!key) throw new AppError('UNAUTHORIZED');
    addToRequestLine(res, { key: key.id });
    setPrincipal(res, { kind: 'key', key });
    next();
  };

  principal(res: Response): Principal {
    return principalOf(res, this.keys.enabled ? { kind: 'anonymous' } : { kind: 'open' });
  }

  /** Before an upload's body is read: the request may write somewhere. */
  mayStartUpload(principal: Principal): void {
    if (principal.kind === 'signature') return requireOperation(principal.claims, 'upload');
    if (principal.kind === 'key') requireScope(principal.key, 'write');
    else if (principal.kind === 'anonymous') throw new AppError('UNAUTHORIZED');
  }

  /** One file of an upload: its target and size. */
  mayStore(principal: Principal, target: MediaPath, size: number): void {
    if (principal.kind === 'signature') {
      requireSignedFile(principal.claims, 'upload', target);
      const max = principal.claims.max!;
      if (size > max) throw new AppError('TOO_LARGE', `file larger than the signature's limit of ${max} bytes`);
      return;
    }
    this.requireKey(principal, 'write', target.directory);
  }

  mayDelete(principal: Principal, target: MediaPath): void {
    if (principal.kind === 'signature')
      throw new AppError('FORBIDDEN', `forbidden: a signature never deletes (${describe(principal.claims)})`);
    this.requireKey(principal, 'delete', target.directory);
  }

  /** GET/HEAD of a file: a download signature for it, else open unless `auth.protectReads`. */
  mayRead(principal: Principal, target: MediaPath): void {
    if (principal.kind === 'signature') return requireSignedFile(principal.claims, 'download', target);
    if (this.auth.protectReads) this.requireKey(principal, 'read', target.directory);
  }

  /** GET /media?directory=: a key reads its directories and sees the way to them from above. */
  mayList(principal: Principal, directory: string): ListingView {
    if (principal.kind === 'signature')
      throw new AppError('FORBIDDEN', `forbidden: the signature covers one file only (${describe(principal.claims)})`);
    if (!this.auth.protectReads || principal.kind === 'open') return { all: true };
    if (principal.kind === 'anonymous') throw new AppError('UNAUTHORIZED');
    const { key } = principal;
    requireScope(key, 'read');
    if (covers(key.directories, directory)) return { all: true };
    if (!leadsTo(key.directories, directory)) throw forbiddenDirectory(key, directory);
    const below = (name: string) => (directory ? `${directory}/${name}` : name);
    return { all: false, shows: (name) => covers(key.directories, below(name)) || leadsTo(key.directories, below(name)) };
  }

  /** A key may sign only what it may do itself. */
  maySign(principal: Principal, operation: SignedClaims['op'], directory: string): void {
    if (principal.kind === 'signature') throw new AppError('FORBIDDEN', 'forbidden: a signature cannot sign URLs');
    this.requireKey(principal, operation === 'download' ? 'read' : 'write', directory);
  }

  /** GET /metrics when protected: a key that reads every directory. */
  mayReadMetrics(principal: Principal): void {
    if (!this.protectMetrics) return;
    if (principal.kind === 'signature') throw new AppError('FORBIDDEN', 'forbidden: a signature covers one file only');
    if (principal.kind === 'anonymous') throw new AppError('UNAUTHORIZED');
    if (principal.kind !== 'key') return;
    requireScope(principal.key, 'read');
    if (principal.key.directories)
      throw new AppError('FORBIDDEN', `forbidden: key '${principal.key.id}' reads only some directories; /metrics needs every directory`);
  }

  /** `scope` in `directory` for a key; open services allow everything, anonymous requests nothing. */
  requireKey(principal: Principal, scope: Scope, directory: string): void {
    if (principal.kind === 'open') return;
    if (principal.kind !== 'key') throw new AppError('UNAUTHORIZED');
    requireScope(principal.key, scope);
    if (!covers(principal.key.directories, directory)) throw forbiddenDirectory(principal.key, directory);
  }
}

function requireScope(key: AccessKey, scope: Scope): void {
  if (!key.scopes.has(scope)) throw new AppError('FORBIDDEN', `forbidden: key '${key.id}' lacks the '${scope}' scope`);
}

function forbiddenDirectory(key: AccessKey, directory: string): AppError {
  const where = directory === '' ? 'the root' : `directory '${directory}'`;
  return new AppError('FORBIDDEN', `forbidden: key '${key.id}' may not use ${where} (its directories: ${key.directories!.join(', ')})`);
}

function requireOperation(claims: SignedClaims, op: SignedClaims['op']): void {
  if (claims.op !== op)
    throw new AppError(
      'FORBIDDEN',
      `forbidden: the signature is for ${describe(claims)}, not ${op === 'upload' ? 'an upload' : 'a download'}`,
    );
}

function requireSignedFile(claims: SignedClaims, op: SignedClaims['op'], target: MediaPath): void {
  requireOperation(claims, op);
  if (claims.dir !== target.directory || claims.name !== target.filename) {
    throw new AppError('FORBIDDEN', `forbidden: the signature is for ${describe(claims)}, not ${target.directory}/${target.filename}`);
  }
}

function describe(claims: SignedClaims): string {
  return `the ${claims.op} of ${claims.dir}/${claims.name}`;
}
