import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { fixture } from './helpers/media.ts';
import { createUpload, patchUpload } from './helpers/tus.ts';
import { upload } from './helpers/upload.ts';

let service: RunningService;

beforeAll(async () => {
  service = await startService();
});
afterAll(() => service.close());

describe('JSON answers end with a newline (curl leaves the shell prompt on its own line)', () => {
  it('on /media, the error handler, health, /auth and /uploads', async () => {
    const bytes = fixture('tone.mp3');
    const stored = await upload(service.url, 'multipart', { directory: 'nl', filename: 'tone.mp3', bytes });
    expect(stored.status).toBe(200);
    const location = (await createUpload(service.url, 'nl', 'tus.mp3', bytes.length)).headers.get('location')!;
    const answers: Array<[string, Promise<Response>]> = [
      ['POST /media refused', fetch(`${service.url}/media`, { method: 'POST', body: new FormData() })],
      ['GET /media listing', fetch(`${service.url}/media?directory=nl`)],
      ['GET unknown route', fetch(`${service.url}/nowhere`)],
      ['DELETE /media', fetch(`${service.url}/media?directory=nl&filename=absent.mp3`, { method: 'DELETE' })],
      ['GET /healthz', fetch(`${service.url}/healthz`)],
      ['GET /readyz', fetch(`${service.url}/readyz`)],
      ['GET /auth', fetch(`${service.url}/auth`)],
      ['POST /uploads refused', createUpload(service.url, 'nl', 'tone.mp3', bytes.length)],
      ['POST /uploads without Tus-Resumable', fetch(`${service.url}/uploads`, { method: 'POST' })],
      ['PATCH /uploads last byte', patchUpload(service.url, location, 0, bytes)],
    ];
    for (const [what, sent] of answers) {
      const answer = await sent;
      expect(answer.headers.get('content-type'), what).toMatch(/^application\/json/);
      const text = await answer.text();
      expect(text.endsWith('}\n'), `${what}: ${JSON.stringify(text.slice(-20))}`).toBe(true);
      expect(() => JSON.parse(text), what).not.toThrow();
    }
  });
});
