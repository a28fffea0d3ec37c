import { errors, jwtVerify, SignJWT, type JWTHeaderParameters } from 'jose';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import type { AuthConfig } from './config.ts';

/** What a signature grants: claims exactly these (README "Signed URLs" is the format's reference). */
export const claimsSchema = z
  .object({
    op: z.enum(['download', 'upload']),
    dir: z.string().min(1),
    name: z.string().min(1),
    exp: z.number().int(),
    max: z.number().int().min(1).optional(),
  })
  .strict()
  .refine((claims) => (claims.op === 'upload') === (claims.max !== undefined), 'max is required for uploads and only for them');

export type SignedClaims = z.infer<typeof claimsSchema>;

export interface VerifiedSignature {
  claims: SignedClaims;
  /** The signing key's id (header `kid`). */
  kid: string;
}

const encoder = new TextEncoder();
/** Verified signatures remembered (a player's range requests repeat one URL); the oldest goes first. */
const VERIFIED_CACHE_SIZE = 10_000;

/**
 * Signs and verifies the `signature` query parameter: a JWT, HS256 with a signing key's secret
 * (its UTF-8 bytes), header `kid`. The first signing key signs; every one verifies, so keys
 * rotate by adding a new one first and removing the old one once its URLs have expired.
 */
export class UrlSigner {
  private readonly secrets: Map<string, Uint8Array>;
  /**
   * Signatures that verified, by their whole text: HMAC through WebCrypto is a round trip to the
   * thread pool per request, and a URL is used many times. Only the signature's validity is
   * remembered; its expiry is checked on every use against the clock.
   */
  private readonly verified = new Map<string, VerifiedSignature>();

  constructor(
    private readonly auth: Pick<AuthConfig, 'signingKeys' | 'clockSkewSeconds'>,
    private readonly now: () => number,
  ) {
    this.secrets = new Map(auth.signingKeys.map(({ id, secret }) => [id, encoder.encode(secret)]));
  }

  get enabled(): boolean {
    return this.auth.signingKeys.length > 0;
  }

  /** Seconds since the epoch, by the injected clock. */
  nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  async sign(claims: SignedClaims): Promise<string> {
    const [key] = this.auth.signingKeys;
    if (!key) throw new AppError('NOT_FOUND', 'not found: signed URLs need auth.signingKeys (or AUTH_SIGNING_KEY)');
    return new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: key.id }).sign(this.secrets.get(key.id)!);
  }

  /** The claims of a valid signature; AppError SIGNATURE_EXPIRED or SIGNATURE_INVALID otherwise. */
  async verify(token: string): Promise<VerifiedSignature> {
    const known = this.verified.get(token);
    if (known) {
      if (known.claims.exp > this.nowSeconds() - this.auth.clockSkewSeconds) return known;
      this.verified.delete(token);
      throw new AppError('SIGNATURE_EXPIRED', `signature expired at ${new Date(known.claims.exp * 1000).toISOString()}`);
    }
    const fresh = await this.verifyAnew(token);
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, fresh);
    return fresh;
  }

  private async verifyAnew(token: string): Promise<VerifiedSignature> {
    let kid = '';
    const secretFor = (header: JWTHeaderParameters) => {
      kid = header.kid ?? '';
      const secret = this.secrets.get(kid);
      if (!secret) throw new AppError('SIGNATURE_INVALID', `signature does not match: no signing key '${kid}'`);
      return secret;
    };
    try {
      const { payload } = await jwtVerify(token, secretFor, {
        algorithms: ['HS256'],
        requiredClaims: ['exp'],
        clockTolerance: this.auth.clockSkewSeconds,
        currentDate: new Date(this.now()),
      });
      const parsed = claimsSchema.safeParse(payload);
      if (!parsed.success) throw new AppError('SIGNATURE_INVALID', `signature does not match: claims ${parsed.error.issues[0]!.message}`);
      return { claims: parsed.data, kid };
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (error instanceof errors.JWTExpired) {
        const exp = Number(error.payload.exp);
        throw new AppError('SIGNATURE_EXPIRED', `signature expired at ${new Date(exp * 1000).toISOString()}`);
      }
      throw new AppError('SIGNATURE_INVALID');
    }
  }
}
