import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tus from 'tus-js-client';
import { startService, type RunningService } from './helpers/app.ts';
import { uniqueMp3 } from './helpers/media.ts';
import { largeMp3 } from './helpers/tus.ts';
import { upload } from './helpers/upload.ts';

let service: RunningService;

beforeAll(async () => {
  service = await startService();
});
afterAll(() => service.close());

/** Request lines of the service for one method and path. */
const requests = (method: string, url: string) =>
  service.logs.filter((line) => {
    const req = line.req as { method?: string; url?: string } | undefined;
    return req?.method === method && req.url === url;
  });

/** tus-js-client with its default options (retries included), as a user's script runs it; resolves with the error and how long it took. */
function failedUpload(bytes: Buffer, directory: string, filename: string): Promise<{ error: tus.DetailedError; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    new tus.Upload(bytes, {
      endpoint: `${service.url}/uploads`,
      metadata: { directory, filename },
      onSuccess: () => reject(new Error('the upload was reported stored')),
      onError: (error) => resolve({ error: error as tus.DetailedError, ms: performance.now() - started }),
    }).start();
  });
}

describe('tus clients nobody here wrote', () => {
  it('tus-js-client with its default retries reports a file that exists (422, code 501) in under 1 s, after one POST', async () => {
    expect(
      (await upload(service.url, 'multipart', { directory: 'clients', filename: 'taken.mp3', bytes: uniqueMp3('taken') })).status,
    ).toBe(200);
    const { error, ms } = await failedUpload(largeMp3(100_000), 'clients', 'taken.mp3');
    expect(ms).toBeLessThan(1000);
    expect(error.originalResponse?.getStatus()).toBe(422);
    expect(JSON.parse(error.originalResponse!.getBody())).toMatchObject({ code: 501, reason: 'file already exists: clients/taken.mp3' });
    expect(requests('POST', '/uploads')).toHaveLength(1);
  });
});
