import createClient, { type Client } from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from '../helpers/app.ts';
import { fixture, sha256 } from '../helpers/media.ts';
import type { paths } from './schema.d.ts';

// The generated client (openapi-typescript + openapi-fetch) asks for signed URLs and uses them,
// as an app server hands them to browsers: the download and the upload carry no token.

const TOKEN = 'contract-token';
const auth = { Authorization: `Bearer ${TOKEN}` };

describe('a client generated from openapi.yaml, with signed URLs', () => {
  let service: RunningService;
  let client: Client<paths>;
  const mp3 = fixture('tone.mp3');

  beforeAll(async () => {
    service = await startService({
      auth: { tokens: [TOKEN], protectReads: true, signingKeys: [{ id: 'k1', secret: 'a-signing-secret-of-at-least-32-characters' }] },
    });
    client = createClient<paths>({ baseUrl: service.url });
  });
  afterAll(() => service.close());

  it('requests an upload URL and stores a file through it with no token', async () => {
    const { data, error } = await client.POST('/signed-urls', {
      headers: auth,
      body: { operation: 'upload', directory: 'sdk', filename: 'signed.mp3', expiresIn: 600, maxSize: 64 * 1024 },
    });
    expect(error).toBeUndefined();
    const signature = new URL(data!.url).searchParams.get('signature')!;
    const stored = await client.POST('/media', {
      params: { query: { signature } },
      body: {},
      bodySerializer: () => {
        const form = new FormData();
        form.append('file', new Blob([new Uint8Array(mp3)]), 'whatever.mp3');
        return form;
      },
    });
    expect(stored.response.status).toBe(200);
    expect(stored.data?.files[0]).toMatchObject({ directory: 'sdk', filename: 'signed.mp3', sha256: sha256(mp3) });
  });

  it('requests a download URL and downloads with it, ranges included, with no token', async () => {
    const { data } = await client.POST('/signed-urls', {
      headers: auth,
      body: { operation: 'download', directory: 'sdk', filename: 'signed.mp3' },
    });
    const signature = new URL(data!.url).searchParams.get('signature')!;
    const path = { directory: 'sdk', filename: 'signed.mp3' };
    const whole = await client.GET('/media/{directory}/{filename}', { params: { path, query: { signature } }, parseAs: 'arrayBuffer' });
    expect(whole.response.status).toBe(200);
    expect(sha256(new Uint8Array(whole.data as ArrayBuffer))).toBe(sha256(mp3));
    const ranged = await client.GET('/media/{directory}/{filename}', {
      params: { path, query: { signature }, header: { Range: 'bytes=0-9' } },
      parseAs: 'arrayBuffer',
    });
    expect(ranged.response.status).toBe(206);
    const refused = await client.GET('/media/{directory}/{filename}', { params: { path } });
    expect(refused.response.status).toBe(401);
  });
});
