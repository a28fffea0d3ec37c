import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { fixture } from './helpers/media.ts';
import { upload } from './helpers/upload.ts';

const ORIGIN = 'http://player.example:3000';

describe('CORS on /media for a page on another origin (cors.allowedOrigins)', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({ cors: { allowedOrigins: [ORIGIN] } });
    expect((await upload(service.url, 'multipart', { directory: 'cors', filename: 'tone.mp3', bytes: fixture('tone.mp3') })).status).toBe(
      200,
    );
  });
  afterAll(() => service.close());

  it('exposes Content-Range, ETag and Content-Disposition of a ranged download', async () => {
    const answer = await fetch(`${service.url}/media/cors/tone.mp3`, { headers: { Origin: ORIGIN, Range: 'bytes=0-99' } });
    expect(answer.status).toBe(206);
    expect(answer.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const exposed = answer.headers.get('access-control-expose-headers')!.toLowerCase().split(/,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(['content-range', 'etag', 'content-disposition']));
    for (const name of ['content-range', 'etag']) expect(answer.headers.get(name), name).not.toBeNull();
  });
});
