import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import createClient, { type Client } from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from '../helpers/app.ts';
import { fixture, percentEncodeAll, sha256 } from '../helpers/media.ts';
import { closedPort, startUpstream, type TestUpstream } from '../helpers/upstream.ts';
import type { components, paths } from './schema.d.ts';

// A client generated from openapi.yaml (openapi-typescript types + openapi-fetch), used as an SDK
// user would use it, against the running service. `tsc -p test` checks every call below against
// the generated types; the service's answers are also held to openapi.yaml by the recorder.

type Result = components['schemas']['Result'];
const TOKEN = 'contract-token';
const auth = { Authorization: `Bearer ${TOKEN}` };

/** multipart/form-data: openapi-fetch sends a FormData as is (fetch sets the boundary). */
function form(fields: Record<string, string>, files: Array<{ field: string; name: string; bytes: Uint8Array }>): () => FormData {
  return () => {
    const data = new FormData();
    for (const [name, value] of Object.entries(fields)) data.append(name, value);
    for (const file of files) data.append(file.field, new Blob([new Uint8Array(file.bytes)]), file.name);
    return data;
  };
}

/**
 * application/x-www-form-urlencoded with a binary `body`: the typed body carries the file as a
 * latin1 string (one character per byte), and every byte of it is percent-encoded.
 */
function urlencoded(fields: Record<string, string | undefined>): string {
  return Object.entries(fields)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${name}=${name === 'body' ? percentEncodeAll(Buffer.from(value, 'latin1')) : encodeURIComponent(value)}`)
    .join('&');
}
const URLENCODED = { 'Content-Type': 'application/x-www-form-urlencoded' };

describe('a client generated from openapi.yaml', () => {
  let service: RunningService;
  let client: Client<paths>;
  const mp3 = fixture('tone.mp3');
  const wav = fixture('tone.wav');

  beforeAll(async () => {
    service = await startService({ auth: { tokens: [TOKEN] }, media: { maxFileSize: 64 * 1024 } });
    client = createClient<paths>({ baseUrl: service.url });
  });
  afterAll(() => service.close());

  it('uploads multipart/form-data with a directory field', async () => {
    const { data, error, response } = await client.POST('/media', {
      headers: auth,
      body: { directory: 'sdk/2024' },
      bodySerializer: form({ directory: 'sdk/2024' }, [{ field: 'file', name: 'tone.mp3', bytes: mp3 }]),
    });
    expect(response.status).toBe(200);
    expect(error).toBeUndefined();
    expect(data?.files[0]).toMatchObject({
      directory: 'sdk/2024',
      filename: 'tone.mp3',
      size: mp3.length,
      sha256: sha256(mp3),
      contentType: 'audio/mpeg',
    });
  });

  it('uploads application/x-www-form-urlencoded with a binary body', async () => {
    const body = { directory: 'sdk', filename: '歌曲.wav', body: wav.toString('latin1') };
    const { data, response } = await client.POST('/media', { headers: { ...auth, ...URLENCODED }, body, bodySerializer: urlencoded });
    expect(response.status).toBe(200);
    expect(data?.files[0]).toMatchObject({ filename: '歌曲.wav', sha256: sha256(wav), contentType: 'audio/wav' });
  });

  it('lists a directory', async () => {
    const { data } = await client.GET('/media', { params: { query: { directory: 'sdk', limit: 10 } } });
    expect(data?.directories).toEqual(['2024']);
    expect(data?.files.map((file) => [file.filename, file.size])).toEqual([['歌曲.wav', wav.length]]);
    expect(data?.files[0]?.metadata).toMatchObject({ sampleRate: 8000, channels: 1 });
  });

  it('downloads a file (whole, a range, headers only)', async () => {
    const params = { path: { directory: 'sdk/2024', filename: 'tone.mp3' } };
    const whole = await client.GET('/media/{directory}/{filename}', { params, parseAs: 'arrayBuffer' });
    expect(whole.response.status).toBe(200);
    expect(Buffer.from(whole.data!)).toEqual(mp3);
    const part = await client.GET('/media/{directory}/{filename}', {
      params: { ...params, header: { Range: 'bytes=0-9' } },
      parseAs: 'arrayBuffer',
    });
    expect(part.response.status).toBe(206);
    expect(Buffer.from(part.data!)).toEqual(mp3.subarray(0, 10));
    const head = await client.HEAD('/media/{directory}/{filename}', { params });
    expect(head.response.headers.get('etag')).toBe(`"${sha256(mp3)}"`);
  });

  it('deletes a file', async () => {
    const { data } = await client.DELETE('/media', { headers: auth, params: { query: { directory: 'sdk', filename: '歌曲.wav' } } });
    expect(data).toEqual({ code: 200, reason: 'OK', directory: 'sdk', filename: '歌曲.wav', deleted: true });
  });

  const upload = (directory: string, filename: string, bytes: Uint8Array, headers: Record<string, string> = auth) =>
    client.POST('/media', {
      headers: { ...headers, ...URLENCODED },
      body: { directory, filename, body: Buffer.from(bytes).toString('latin1') },
      bodySerializer: urlencoded,
    });

  /** The error body and status of a failed call; the type is the union of the documented error bodies. */
  async function failure(call: Promise<{ error?: unknown; response: Response }>): Promise<{ status: number; error: Result }> {
    const { error, response } = await call;
    return { status: response.status, error: error as Result };
  }

  it.each([
    ['400 (code 400): an unsafe directory', () => upload('../up', 'a.mp3', mp3), 400, 400],
    ['401 (code 401): no token', () => upload('sdk', 'a.mp3', mp3, {}), 401, 401],
    ['409 (code 501): the file exists', async () => (await upload('dup', 'a.mp3', mp3), upload('dup', 'a.mp3', mp3)), 409, 501],
    ['413 (code 413): over media.maxFileSize', () => upload('sdk', 'big.mp3', fixture('tone-id3.mp3')), 413, 413],
    ['400 (code 502): an empty file', () => upload('sdk', 'empty.mp3', new Uint8Array()), 400, 502],
    ['400 (code 503): no file name', () => upload('sdk', '', mp3), 400, 503],
    ['415 (code 504): an extension not allowed', () => upload('sdk', 'notes.txt', Buffer.from('text')), 415, 504],
  ] as const)('reports %s', async (_label, call, status, code) => {
    const { status: actual, error } = await failure(call());
    expect([actual, error.code]).toEqual([status, code]);
    expect(error.reason).toEqual(expect.any(String));
  });

  it('reports 415 (code 502) for an unsupported Content-Type', async () => {
    const { status, error } = await failure(
      client.POST('/media', {
        headers: { ...auth, 'Content-Type': 'text/plain' },
        body: { directory: 'a', filename: 'b.mp3', body: 'x' },
        bodySerializer: () => 'x',
      }),
    );
    expect([status, error.code]).toEqual([415, 502]);
  });

  it('reports 404 (code 404) for a missing file and a missing directory', async () => {
    const file = await failure(
      client.GET('/media/{directory}/{filename}', { params: { path: { directory: 'sdk', filename: 'none.mp3' } } }),
    );
    expect([file.status, file.error.code]).toEqual([404, 404]);
    const listing = await failure(client.GET('/media', { params: { query: { directory: 'absent' } } }));
    expect([listing.status, listing.error.code]).toEqual([404, 404]);
  });

  it('reports 416 (code 416) for a range past the end', async () => {
    const params = { path: { directory: 'sdk/2024', filename: 'tone.mp3' }, header: { Range: `bytes=${mp3.length}-` } };
    const { status, error } = await failure(client.GET('/media/{directory}/{filename}', { params }));
    expect([status, error.code]).toEqual([416, 416]);
  });

  it('reports 500 (code 500) when the disk refuses', async () => {
    // chattr +i: no new names in it, even for root, which ignores permission bits.
    const blocked = path.join(service.root, 'blocked');
    await mkdir(blocked);
    execFileSync('chattr', ['+i', blocked]);
    try {
      const { status, error } = await failure(upload('blocked', 'a.mp3', mp3));
      expect([status, error]).toEqual([500, { code: 500, reason: 'internal error' }]);
    } finally {
      execFileSync('chattr', ['-i', blocked]);
    }
  });

  it('reports 412 (code 412) for a failed If-Match on the chat page', async () => {
    const { response, error } = await client.GET('/chat', { headers: { 'If-Match': '"other"' } });
    expect([response.status, error]).toEqual([412, { code: 412, reason: 'precondition failed' }]);
  });
});

describe('a generated client against the rate limit and the proxy', () => {
  let service: RunningService;
  let slow: TestUpstream;
  let client: Client<paths>;

  beforeAll(async () => {
    // Never answers: the proxy gives up after its timeout.
    slow = await startUpstream(() => undefined);
    service = await startService({
      rateLimit: { writesPerWindow: 1, windowMs: 60_000 },
      proxy: { timeoutMs: 200, upstreams: { slow: slow.url, gone: `http://127.0.0.1:${await closedPort()}` } },
    });
    client = createClient<paths>({ baseUrl: service.url });
  });
  afterAll(async () => {
    await service.close();
    await slow.close();
  });

  it('reports 429 (code 429) with Retry-After over rateLimit.writesPerWindow', async () => {
    const query = { directory: 'a', filename: 'b.mp3' };
    expect((await client.DELETE('/media', { params: { query } })).response.status).toBe(200);
    const { response, error } = await client.DELETE('/media', { params: { query } });
    expect([response.status, error?.code]).toEqual([429, 429]);
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it.each([
    ['404: no such upstream', 'nope', 'x', 404],
    ['400: an unsafe path (an encoded slash; fetch itself resolves `..`)', 'slow', 'a%2F..%2Fb', 400],
    ['502: the upstream refuses', 'gone', 'x', 502],
    ['504: the upstream is too slow', 'slow', 'x', 504],
  ] as const)("reports the proxy's %s", async (_label, name, rest, status) => {
    // `rest` may hold `/` and escapes: it is sent as it is, not encoded again.
    const { response, error } = await client.GET('/proxy/{name}/{rest}', {
      params: { path: { name, rest } },
      pathSerializer: (template, { name: upstream }) => template.replace('{name}', String(upstream)).replace('{rest}', rest),
    });
    // The error type is `unknown`: an upstream's own error answers pass through as they are.
    // The proxy's own answers are a Result (and carry no Via header).
    expect(response.headers.get('via')).toBeNull();
    expect([response.status, (error as Result).code]).toEqual([status, status]);
  });
});
