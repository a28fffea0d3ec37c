import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { createUpload, headUpload, largeMp3, resumableLeftovers, TUS_HEADERS, uploadMetadata } from './helpers/tus.ts';

let service: RunningService;

beforeAll(async () => {
  service = await startService();
});
afterAll(() => service.close());

/** A creation-with-upload whose body is sent chunked (no Content-Length), as a streaming client sends it. */
function chunkedCreation(length: number, body: Buffer): Promise<{ status: number; body: unknown; location?: string }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(service.url);
    const req = request(
      {
        hostname,
        port,
        method: 'POST',
        path: '/uploads',
        headers: {
          ...TUS_HEADERS,
          'Upload-Length': String(length),
          'Upload-Metadata': uploadMetadata('spec', 'chunked.mp3'),
          'Content-Type': 'application/offset+octet-stream',
          'Transfer-Encoding': 'chunked',
        },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('end', () =>
          resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(parts).toString()), location: res.headers.location }),
        );
      },
    );
    // The server may answer and close before the whole body is written.
    req.on('error', reject);
    req.end(body);
  });
}

describe('tus 1.0 rules that @tus/server leaves out', () => {
  it('answers a PATCH with another Content-Type 415 (code 502) as JSON, and the offset stays', async () => {
    const bytes = largeMp3(20_000);
    const location = (await createUpload(service.url, 'spec', 'typed.mp3', bytes.length)).headers.get('location')!;
    for (const contentType of ['application/octet-stream', 'text/plain', undefined]) {
      const answer = await fetch(`${service.url}${location}`, {
        method: 'PATCH',
        headers: { ...TUS_HEADERS, 'Upload-Offset': '0', ...(contentType ? { 'Content-Type': contentType } : {}) },
        body: new Uint8Array(bytes.subarray(0, 1000)),
      });
      expect(answer.status, String(contentType)).toBe(415);
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await answer.json()).toMatchObject({ code: 502, reason: expect.stringContaining('application/offset+octet-stream') });
      expect((await headUpload(service.url, location)).headers.get('upload-offset')).toBe('0');
    }
  });

  it('answers an unsupported or missing Tus-Resumable 412 with Tus-Version, on every tus method', async () => {
    const location = (await createUpload(service.url, 'spec', 'version.mp3', 1000)).headers.get('location')!;
    const sends: Array<[string, string, Record<string, string>]> = [
      ['POST', '/uploads', { 'Upload-Length': '10', 'Upload-Metadata': uploadMetadata('spec', 'old.mp3') }],
      ['HEAD', location, {}],
      ['PATCH', location, { 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' }],
      ['DELETE', location, {}],
    ];
    for (const version of ['0.2.2', '2.0.0', undefined]) {
      for (const [method, path, headers] of sends) {
        const answer = await fetch(`${service.url}${path}`, {
          method,
          headers: { ...headers, ...(version ? { 'Tus-Resumable': version } : {}) },
        });
        const what = `${method} ${path} Tus-Resumable ${version}`;
        expect(answer.status, what).toBe(412);
        expect(answer.headers.get('tus-version'), what).toBe('1.0.0');
        if (method !== 'HEAD') expect(await answer.json(), what).toMatchObject({ code: 412 });
      }
    }
    // Nothing was done: the upload is there, at offset 0.
    expect((await headUpload(service.url, location)).headers.get('upload-offset')).toBe('0');
  });

  it('leaves no record of a creation-with-upload whose body exceeds Upload-Length (413), with or without Content-Length', async () => {
    const before = await resumableLeftovers(service.root);
    const bytes = largeMp3(300_000);
    const sized = await fetch(`${service.url}/uploads`, {
      method: 'POST',
      headers: {
        ...TUS_HEADERS,
        'Upload-Length': '1000',
        'Upload-Metadata': uploadMetadata('spec', 'sized.mp3'),
        'Content-Type': 'application/offset+octet-stream',
      },
      body: new Uint8Array(bytes),
    });
    expect(sized.status).toBe(413);
    expect(await sized.json()).toMatchObject({ code: 413 });
    expect(sized.headers.get('location')).toBeNull();
    const chunked = await chunkedCreation(1000, bytes);
    expect(chunked).toMatchObject({ status: 413, body: { code: 413 } });
    expect(chunked.location).toBeUndefined();
    expect(await resumableLeftovers(service.root)).toEqual(before);
  });
});
