import { readdirSync, readlinkSync } from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { uniqueMp3 } from './helpers/media.ts';
import { upload } from './helpers/upload.ts';

// Every way a download ends lets go of the stored file's descriptor (the service runs in this
// process, so its descriptors are this process's).
let service: RunningService;
let etag: string;
const big = Buffer.concat(Array.from({ length: 64 }, (_, i) => uniqueMp3(`part-${i}`)));

/** Descriptors of this process open on files of the `held` directory. */
function heldDescriptors(): string[] {
  const found: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(`${service.root}/held/`)) found.push(target);
    } catch {
      // closed while listed
    }
  }
  return found;
}

/** Waits, boundedly, until no descriptor is open on a stored file; answers what is still open. */
async function descriptorsAfterSettling(): Promise<string[]> {
  for (let attempt = 0; attempt < 100 && heldDescriptors().length > 0; attempt++) await new Promise((resolve) => setTimeout(resolve, 20));
  return heldDescriptors();
}

/** Status and body length of one request (node:http: fetch would add `Cache-Control: no-cache` to a conditional GET). */
function answer(url: string, method = 'GET', headers: Record<string, string> = {}): Promise<[number, number]> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      let length = 0;
      res.on('data', (chunk: Buffer) => (length += chunk.length));
      res.once('end', () => resolve([res.statusCode!, length]));
    });
    req.once('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  service = await startService();
  expect((await upload(service.url, 'multipart', { directory: 'held', filename: 'big.mp3', bytes: big })).status).toBe(200);
  etag = (await fetch(`${service.url}/media/held/big.mp3`, { method: 'HEAD' })).headers.get('etag')!;
  expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
});
afterAll(() => service.close());

describe('descriptors of downloads', () => {
  it('closes the file after whole, ranged, HEAD, 304 and 416 answers', async () => {
    const url = `${service.url}/media/held/big.mp3`;
    const answers = await Promise.all([
      answer(url),
      answer(url, 'GET', { range: 'bytes=10-19' }),
      answer(url, 'HEAD'),
      answer(url, 'GET', { 'if-none-match': etag }),
      answer(url, 'GET', { range: `bytes=${big.length + 5}-` }),
    ]);
    expect(answers.map(([status]) => status)).toEqual([200, 206, 200, 304, 416]);
    expect(answers.map(([, length]) => length).slice(0, 4)).toEqual([big.length, 10, 0, 0]);
    expect(await descriptorsAfterSettling()).toEqual([]);
  });

  it('closes the file when the client goes away in the middle of the bytes', async () => {
    const gone = await new Promise<number>((resolve, reject) => {
      const req = http.get(`${service.url}/media/held/big.mp3`, (res) => {
        res.once('data', (chunk: Buffer) => {
          req.destroy();
          resolve(chunk.length);
        });
      });
      req.once('error', (error) => (req.destroyed ? undefined : reject(error)));
    });
    expect(gone).toBeGreaterThan(0);
    // A later download answers whole: the service is unharmed by the cut one.
    const after = await fetch(`${service.url}/media/held/big.mp3`);
    expect([after.status, (await after.arrayBuffer()).byteLength]).toEqual([200, big.length]);
    expect(await descriptorsAfterSettling()).toEqual([]);
  });
});
