import type { AddressInfo } from 'node:net';
import express from 'express';
import helmet from 'helmet';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { fixture } from './helpers/media.ts';
import { upload } from './helpers/upload.ts';

/** Every header helmet 8 may set; an answer's security headers are the ones of these it carries. */
const HELMET_HEADERS = [
  'content-security-policy',
  'cross-origin-embedder-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
  'x-powered-by',
  'x-xss-protection',
];

const securityHeadersOf = (headers: Record<string, unknown>) =>
  Object.fromEntries(HELMET_HEADERS.filter((name) => headers[name] !== undefined).map((name) => [name, headers[name]]));

/**
 * The service records helmet's headers once and replays them on each answer (src/security.ts).
 * The reference is helmet itself, run per request in a plain Express app with the options the
 * README documents (CSP of this origin only, Cross-Origin-Resource-Policy cross-origin).
 */
describe('security headers', () => {
  let service: RunningService;
  let reference: ReturnType<express.Express['listen']>;
  let referenceUrl: string;

  beforeAll(async () => {
    service = await startService();
    const app = express();
    app.use(
      helmet({
        contentSecurityPolicy: {
          useDefaults: false,
          directives: {
            defaultSrc: ["'self'"],
            scriptSrc: ["'self'"],
            styleSrc: ["'self'"],
            imgSrc: ["'self'", 'data:'],
            mediaSrc: ["'self'", 'blob:'],
            connectSrc: ["'self'"],
            objectSrc: ["'none'"],
            baseUri: ["'none'"],
            frameAncestors: ["'none'"],
            formAction: ["'self'"],
          },
        },
        crossOriginResourcePolicy: { policy: 'cross-origin' },
      }),
    );
    app.get('/', (_req, res) => {
      res.end('ok');
    });
    reference = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => reference.once('listening', resolve));
    referenceUrl = `http://127.0.0.1:${(reference.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    reference?.close();
    await service?.close();
  });

  it('are the ones helmet sets, on a download, a 404 and a listing alike', async () => {
    const expected = securityHeadersOf((await request(referenceUrl).get('/')).headers);
    expect(Object.keys(expected)).toHaveLength(12);
    expect((await upload(service.url, 'multipart', { directory: 'h', filename: 'a.mp3', bytes: fixture('tone.mp3') })).status).toBe(200);
    for (const path of ['/media/h/a.mp3', '/media/h/missing.mp3', '/media?directory=h']) {
      const answer = await request(service.url).get(path);
      expect([200, 404]).toContain(answer.status);
      expect(securityHeadersOf(answer.headers), path).toEqual(expected);
    }
  });
});
