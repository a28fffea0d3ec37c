import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import * as tus from 'tus-js-client';
import { startService, type RunningService } from './helpers/app.ts';
import { freshBucket } from './helpers/s3.ts';
import { s3Backend } from './helpers/s3-service.ts';
import { createUpload, headUpload, largeMp3, resumableLeftovers, TUS_HEADERS, uploadMetadata } from './helpers/tus.ts';
import { resumableKeys } from './helpers/tus-s3.ts';

/** The size a fake declares: far more than the test ever sends. */
const DECLARED = 64 * 1024 * 1024;
/** What the test sends of it before it waits for the answer. */
const SENT = 256 * 1024;

interface Answer {
  status: number;
  body: unknown;
  location?: string;
}

/**
 * Sends the head of a body of DECLARED bytes (Content-Length says all of them), then nothing more:
 * the answer can only come if the service judged what it got so far.
 */
function sendHeadOnly(url: string, method: string, path: string, headers: Record<string, string>, head: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const req = request(
      { hostname, port, method, path, headers: { ...TUS_HEADERS, ...headers, 'Content-Length': String(DECLARED) } },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(parts).toString()), location: res.headers.location });
        });
      },
    );
    req.on('error', reject);
    req.write(head);
  });
}

const noise = (bytes: number) => Buffer.alloc(bytes, 'not audio at all. ');

const backends = [
  ['local', async () => ({})],
  ['s3', async () => s3Backend(inject('rgw'), await freshBucket(inject('rgw')))],
] as const;

describe.each(backends)('a resumable upload that is not audio, on the %s backend', (backend, overrides) => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService(await overrides());
  }, 60_000);
  afterAll(() => service.close());

  /**
   * The upload's lock is let go just after the answer, so this waits (bounded) for what is left to
   * settle. `kept` names what may stay: a completed upload's record holds its answer until expiry.
   */
  async function expectNothingKept(kept: (name: string) => boolean = () => false): Promise<void> {
    const left = (names: string[]) => names.filter((name) => !kept(name));
    await expect.poll(async () => left(await resumableLeftovers(service.root)), { timeout: 5000 }).toEqual([]);
    if (backend === 's3') {
      const bucket = service.config.storage.s3.bucket!;
      await expect.poll(async () => left(await resumableKeys(inject('rgw'), bucket)), { timeout: 5000 }).toEqual([]);
    }
  }

  it('is refused (415, code 504) as soon as its first bytes arrived in a PATCH, and dropped', async () => {
    const location = (await createUpload(service.url, 'fake', 'big.mp3', DECLARED)).headers.get('location')!;
    const headers = { 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': '0' };
    const answer = await sendHeadOnly(service.url, 'PATCH', location, headers, noise(SENT));
    expect(answer).toMatchObject({ status: 415, body: { code: 504, reason: expect.stringContaining('is not .mp3') } });
    expect((await headUpload(service.url, location)).status).toBe(404);
    await expectNothingKept();
  });

  it('is refused as soon as its first bytes arrived in the creation (creation-with-upload), and nothing is created', async () => {
    const headers = {
      'Upload-Length': String(DECLARED),
      'Upload-Metadata': uploadMetadata('fake', 'created.wav'),
      'Content-Type': 'application/offset+octet-stream',
    };
    const answer = await sendHeadOnly(service.url, 'POST', '/uploads', headers, noise(SENT));
    expect(answer).toMatchObject({ status: 415, body: { code: 504, reason: expect.stringContaining('is not .wav') } });
    expect(answer.location).toBeUndefined();
    await expectNothingKept();
  });

  it('reaches tus-js-client as a 415 in onError, not a network failure, every time', async () => {
    // Several in a row: the refusal races the writes of the chunk in flight to the upload's file.
    for (let i = 0; i < 8; i++) {
      const error = await new Promise<tus.DetailedError>((resolve, reject) => {
        new tus.Upload(noise(4 * 1024 * 1024), {
          endpoint: `${service.url}/uploads`,
          metadata: { directory: 'fake', filename: `client-${i}.mp3` },
          onShouldRetry: () => false,
          onSuccess: () => reject(new Error('reported stored')),
          onError: (failure) => resolve(failure as tus.DetailedError),
        }).start();
      });
      expect(error.originalResponse?.getStatus()).toBe(415);
      expect(JSON.parse(error.originalResponse!.getBody())).toMatchObject({ code: 504 });
    }
    await expectNothingKept();
  });

  it('lets real audio through the same check, sent in chunks smaller and larger than what is judged', async () => {
    const bytes = largeMp3(300_000);
    for (const chunkSize of [16_000, 200_000]) {
      const answer = await new Promise<number>((resolve, reject) => {
        new tus.Upload(bytes, {
          endpoint: `${service.url}/uploads`,
          chunkSize,
          metadata: { directory: 'fake', filename: `real-${chunkSize}.mp3` },
          onSuccess: ({ lastResponse }) => resolve(lastResponse.getStatus()),
          onError: reject,
        }).start();
      });
      expect(answer).toBe(200);
    }
    await expectNothingKept((name) => name.endsWith('.json'));
  });
});
