import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthConfig, Scope } from './config.ts';
import { SCOPES } from './config.ts';

/** A credential the service knows: a scoped key of `auth.keys`, or a token of `auth.tokens` (every scope, everywhere). */
export interface AccessKey {
  id: string;
  scopes: ReadonlySet<Scope>;
  /** Directory prefixes; undefined = every directory. */
  directories?: readonly string[];
}

export const sha256 = (secret: string) => createHash('sha256').update(secret).digest();

/**
 * The keys and tokens of the config, found by the secret a client presents. Every configured
 * digest is compared (timingSafeEqual, no early exit), so the time taken reveals neither a
 * secret's length nor which key was close. Tokens are named `token-1`, `token-2`... by position:
 * their digest would leak something of a weak token into logs and upload records.
 */
export class KeyRing {
  private readonly entries: Array<{ digest: Buffer; key: AccessKey }>;

  constructor(auth: Pick<AuthConfig, 'tokens' | 'keys'>) {
    const everything = new Set<Scope>(SCOPES);
    this.entries = [
      ...auth.tokens.map((token, index) => ({ digest: sha256(token), key: { id: `token-${index + 1}`, scopes: everything } })),
      ...auth.keys.map(({ id, sha256: hex, scopes, directories }) => ({
        digest: Buffer.from(hex, 'hex'),
        key: { id, scopes: new Set(scopes), directories },
      })),
    ];
  }

  /** Whether any key or token is configured: without one the service is open, as before keys existed. */
  get enabled(): boolean {
    return this.entries.length > 0;
  }

  find(secret: string): AccessKey | undefined {
    const presented = sha256(secret);
    let found: AccessKey | undefined;
    for (const { digest, key } of this.entries) if (timingSafeEqual(digest, presented)) found ??= key;
    return found;
  }
}
