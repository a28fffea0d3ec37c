import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { WebhookSigner } from '../src/events/webhook-signer.ts';

const bodies = [
  '{}',
  JSON.stringify({ type: 'media.created', data: { filename: 'Ünïcødé – 音楽.mp3', size: 65_536 } }),
  JSON.stringify({ padding: 'x'.repeat(10_000) }),
];

describe('webhook signatures', () => {
  it('are the ones standardwebhooks computes and accepts, for secrets of 24 to 64 bytes', () => {
    for (const bytes of [24, 32, 64]) {
      const secret = `whsec_${randomBytes(bytes).toString('base64')}`;
      const reference = new Webhook(secret);
      const signer = new WebhookSigner(secret);
      for (const body of bodies) {
        const id = `evt_${randomBytes(6).toString('hex')}`;
        const seconds = Math.floor(Date.now() / 1000);
        const signature = signer.sign(id, seconds, body);
        expect(signature).toBe(reference.sign(id, new Date(seconds * 1000), body));
        const headers = { 'webhook-id': id, 'webhook-timestamp': String(seconds), 'webhook-signature': signature };
        expect(reference.verify(body, headers)).toEqual(JSON.parse(body));
      }
    }
  });

  it('differ with the secret', () => {
    const one = new WebhookSigner(`whsec_${Buffer.alloc(32, 1).toString('base64')}`);
    const two = new WebhookSigner(`whsec_${Buffer.alloc(32, 2).toString('base64')}`);
    expect(one.sign('id', 1, '{}')).not.toBe(two.sign('id', 1, '{}'));
  });
});
