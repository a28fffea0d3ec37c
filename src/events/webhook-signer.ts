import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/**
 * Signs per Standard Webhooks: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`, keyed by
 * the bytes of `whsec_<base64>`. node:crypto's HMAC on a key object made once: standardwebhooks'
 * own sign() hashes in JavaScript (fast-sha256), several times the CPU per try. Receivers verify
 * with standardwebhooks (test/events-signature.test.ts holds the two to the same signatures).
 */
export class WebhookSigner {
  private readonly key: KeyObject;

  constructor(secret: string) {
    this.key = createSecretKey(Buffer.from(secret.slice('whsec_'.length), 'base64'));
  }

  sign(id: string, timestampSeconds: number, body: string): string {
    return `v1,${createHmac('sha256', this.key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
  }
}
