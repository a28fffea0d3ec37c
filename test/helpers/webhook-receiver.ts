import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** A Standard Webhooks secret as a sender's dashboard shows one. */
export function webhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** One request a receiver got, verified with the `standardwebhooks` package as a receiver would. */
export interface Received {
  id: string;
  at: number;
  /** The verified body (verify() threw if the signature did not match). */
  body: { type: string; timestamp: string; data: Record<string, unknown> };
  /** Whether the receiver answered it 2xx (a delivery) or otherwise. */
  answered: number | 'hang';
  /** When its answer was sent (undefined while held, and for a hang). */
  answeredAt?: number;
}

/**
 * How the receiver answers its `n`-th request (0-based, `body` verified): a status (and headers,
 * after `holdMs` when given), or never.
 */
export type Answer = (n: number, body: Received['body']) => { status: number; headers?: Record<string, string>; holdMs?: number } | 'hang';

export interface Receiver {
  url: string;
  received: Received[];
  /** Requests whose signature did not verify (answered 400). */
  unverified: string[];
  /** The ids answered 2xx. */
  delivered(): string[];
  close(): Promise<void>;
}

/** A webhook receiver on 127.0.0.1 (at `port`, or a free one) that verifies every request. */
export async function startReceiver(secret: string, answer: Answer = () => ({ status: 200 }), port = 0): Promise<Receiver> {
  const verifier = new Webhook(secret);
  const received: Received[] = [];
  const unverified: string[] = [];
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const payload = Buffer.concat(chunks).toString('utf8');
      let body: Received['body'];
      try {
        body = verifier.verify(payload, req.headers as Record<string, string>) as Received['body'];
      } catch (error) {
        unverified.push(`${String(req.headers['webhook-id'])}: ${(error as Error).message}`);
        return void res.writeHead(400).end();
      }
      const reply = answer(received.length, body);
      const one: Received = {
        id: String(req.headers['webhook-id']),
        at: Date.now(),
        body,
        answered: reply === 'hang' ? 'hang' : reply.status,
      };
      received.push(one);
      if (reply === 'hang') return void hanging.add(res);
      const send = () => {
        one.answeredAt = Date.now();
        res.writeHead(reply.status, reply.headers).end();
      };
      if (!reply.holdMs) return send();
      hanging.add(res);
      const timer = setTimeout(() => {
        hanging.delete(res);
        send();
      }, reply.holdMs);
      res.on('close', () => clearTimeout(timer));
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/hook`,
    received,
    unverified,
    delivered: () => received.filter((one) => typeof one.answered === 'number' && one.answered < 300).map((one) => one.id),
    close: () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
