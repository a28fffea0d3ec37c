import { createHash, randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';

export type Scope = 'read' | 'write' | 'delete';

export interface TestKey {
  /** The `auth.keys` entry. */
  entry: { id: string; sha256: string; scopes: Scope[]; directories?: string[] };
  /** The secret a client sends as `Authorization: Bearer`. */
  secret: string;
  bearer: { Authorization: string };
}

/** A scoped key with a fresh random secret, as `npm run key` makes one. */
export function testKey(id: string, scopes: Scope[], directories?: string[]): TestKey {
  const secret = randomBytes(24).toString('base64url');
  const sha256 = createHash('sha256').update(secret).digest('hex');
  return { entry: { id, sha256, scopes, ...(directories ? { directories } : {}) }, secret, bearer: { Authorization: `Bearer ${secret}` } };
}

/** A signing key of `auth.signingKeys`. */
export function signingKey(id: string): { id: string; secret: string } {
  return { id, secret: randomBytes(32).toString('base64url') };
}

/** A signature made in the test, with jose, as an app server would: header `kid`, the claims given. */
export function mintSignature(key: { id: string; secret: string }, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: key.id }).sign(new TextEncoder().encode(key.secret));
}

/** The signature parameter of a signed URL. */
export function signatureOf(url: string): string {
  return new URL(url).searchParams.get('signature')!;
}

/** The same JWT with one claim changed and the original signature kept: a tampered URL. */
export function tampered(jwt: string, change: (claims: Record<string, unknown>) => void): string {
  const [header, payload, signature] = jwt.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
  change(claims);
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

/** The same JWT with its header's `kid` changed. */
export function withKid(jwt: string, kid: string): string {
  const [header, payload, signature] = jwt.split('.');
  const fields = JSON.parse(Buffer.from(header!, 'base64url').toString('utf8')) as Record<string, unknown>;
  return `${Buffer.from(JSON.stringify({ ...fields, kid })).toString('base64url')}.${payload}.${signature}`;
}
