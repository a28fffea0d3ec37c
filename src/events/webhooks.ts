import { createHash } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { WebhookConfig } from './config.ts';
import { eventBody, type MediaEvent } from './event.ts';
import { retryAfterOf } from './retry-schedule.ts';

export type SendResult = { ok: true } | { ok: false; error: string; retryAfterMs?: number };

/** One configured receiver: which events it takes, and how they are signed and sent. */
export class WebhookTarget {
  /** Names the webhook in the log: its url's digest, so a restart with the same list finds its deliveries. */
  readonly id: string;
  private readonly signer: Webhook;

  constructor(private readonly config: WebhookConfig) {
    this.id = createHash('sha256').update(config.url).digest('hex').slice(0, 16);
    this.signer = new Webhook(config.secret);
  }

  get url(): string {
    return this.config.url;
  }

  matches(event: Omit<MediaEvent, 'id'>): boolean {
    const { types, directories } = this.config;
    if (types && !types.includes(event.type)) return false;
    const directory = event.data.directory;
    return !directories || directories.some((prefix) => directory === prefix || directory.startsWith(`${prefix}/`));
  }

  /** One try, signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature). */
  async send(event: MediaEvent, timeoutMs: number, stop: AbortSignal): Promise<SendResult> {
    const body = eventBody(event);
    const now = new Date();
    const headers = {
      'content-type': 'application/json',
      'webhook-id': event.id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': this.signer.sign(event.id, now, body),
    };
    try {
      const answer = await fetch(this.config.url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), stop]),
      });
      await answer.body?.cancel();
      if (answer.status >= 200 && answer.status < 300) return { ok: true };
      return { ok: false, error: `answered ${answer.status}`, retryAfterMs: retryAfterOf(answer.headers.get('retry-after'), Date.now()) };
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError') return { ok: false, error: `no answer within ${timeoutMs} ms` };
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      return { ok: false, error: `not reachable (${cause ?? (error as Error).message})` };
    }
  }
}
