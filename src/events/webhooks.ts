import { createHash } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { Pool } from 'undici';
import type { WebhookConfig } from './config.ts';
import { eventBody, type MediaEvent } from './event.ts';
import { retryAfterOf } from './retry-schedule.ts';

export type SendResult = { ok: true } | { ok: false; error: string; retryAfterMs?: number };

/** One configured receiver: which events it takes, and how they are signed and sent. */
export class WebhookTarget {
  /** Names the webhook in the log: its url's digest, so a restart with the same list finds its deliveries. */
  readonly id: string;
  private readonly signer: Webhook;
  /** Keep-alive connections to the receiver's origin; undici's request, not fetch: a fraction of the CPU per try. */
  private readonly pool: Pool;
  private readonly path: string;

  constructor(private readonly config: WebhookConfig) {
    this.id = createHash('sha256').update(config.url).digest('hex').slice(0, 16);
    this.signer = new Webhook(config.secret);
    const url = new URL(config.url);
    this.pool = new Pool(url.origin, { headersTimeout: 0, bodyTimeout: 0 });
    this.path = `${url.pathname}${url.search}`;
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
      // A redirect is an answer like any other non-2xx: never followed.
      const answer = await this.pool.request({
        path: this.path,
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), stop]),
      });
      answer.body.resume();
      const status = answer.statusCode;
      if (status >= 200 && status < 300) return { ok: true };
      const retryAfter = answer.headers['retry-after'];
      return {
        ok: false,
        error: `answered ${status}`,
        retryAfterMs: retryAfterOf(typeof retryAfter === 'string' ? retryAfter : null, Date.now()),
      };
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError') return { ok: false, error: `no answer within ${timeoutMs} ms` };
      const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
      return { ok: false, error: `not reachable (${code ?? (error as Error).message})` };
    }
  }

  /** Closes its connections (the tries in flight are cut first by the worker's stop). */
  close(): Promise<void> {
    return this.pool.destroy();
  }
}
