import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { launchBrowser, type Browser } from './helpers/browser.ts';
import { fixture, uniqueMp3 } from './helpers/media.ts';
import { projectRoot } from './helpers/process.ts';
import { upload } from './helpers/upload.ts';

// Uppy 6 (@uppy/core with @uppy/tus, its defaults: retries included) in Chromium, on a page of
// another origin, as a site embedding the uploader would run it against the service.
let browser: Browser;
let service: RunningService;
let pageServer: Server;
let pageOrigin: string;

/** @uppy/core and @uppy/tus bundled for the browser (the globals Uppy and Tus). */
async function uppyBundle(): Promise<string> {
  const bundled = await build({
    stdin: {
      contents: "import Uppy from '@uppy/core'; import Tus from '@uppy/tus'; Object.assign(window, { Uppy, Tus });",
      resolveDir: projectRoot,
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  return bundled.outputFiles[0]!.text;
}

beforeAll(async () => {
  const script = await uppyBundle();
  pageServer = createServer((req, res) => {
    if (req.url === '/uppy.js') return res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(script);
    res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>uploader</title><script src="/uppy.js"></script>');
  });
  await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
  pageOrigin = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}`;
  service = await startService({ cors: { allowedOrigins: [pageOrigin] } });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await service?.close();
  await new Promise((resolve) => pageServer?.close(resolve));
});

const requests = (method: string, url: string) =>
  service.logs.filter((line) => {
    const req = line.req as { method?: string; url?: string } | undefined;
    return req?.method === method && req.url === url;
  });

describe('Uppy 6 in Chromium, on another origin', () => {
  it('shows a file that exists (422, code 501) as failed in under 1 s, after one POST', async () => {
    expect((await upload(service.url, 'multipart', { directory: 'uppy', filename: 'taken.mp3', bytes: uniqueMp3('uppy') })).status).toBe(
      200,
    );
    const posts = requests('POST', '/uploads').length;
    const page = await browser.context.newPage();
    await page.goto(`${pageOrigin}/`);
    const outcome = await page.evaluate(
      async ({ endpoint, bytes }) => {
        interface UppyLike {
          use(plugin: unknown, options: unknown): UppyLike;
          addFile(file: unknown): void;
          on(event: string, handler: (file: unknown, error: unknown, response?: { status: number; body: unknown }) => void): void;
          upload(): Promise<unknown>;
        }
        const { Uppy, Tus } = window as unknown as { Uppy: new (options: unknown) => UppyLike; Tus: unknown };
        const uppy = new Uppy({ autoProceed: false }).use(Tus, { endpoint });
        uppy.addFile({
          name: 'taken.mp3',
          type: 'audio/mpeg',
          data: new Blob([new Uint8Array(bytes)]),
          meta: { directory: 'uppy', filename: 'taken.mp3' },
        });
        const started = performance.now();
        return new Promise<{ ms: number; status: number; body: string }>((resolve) => {
          uppy.on('upload-error', (_file: unknown, _error: unknown, response: { status: number; body: unknown } | undefined) =>
            resolve({ ms: performance.now() - started, status: response?.status ?? 0, body: JSON.stringify(response?.body ?? '') }),
          );
          void uppy.upload();
        });
      },
      { endpoint: `${service.url}/uploads`, bytes: [...fixture('tone.mp3')] },
    );
    expect(outcome.status).toBe(422);
    expect(outcome.ms).toBeLessThan(1000);
    expect(requests('POST', '/uploads').length - posts).toBe(1);
    await page.close();
  }, 60_000);

  it('reads Content-Range, ETag and Content-Disposition of a download through CORS', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${pageOrigin}/`);
    const seen = await page.evaluate(async (url) => {
      const answer = await fetch(url, { headers: { Range: 'bytes=0-9' } });
      return {
        status: answer.status,
        range: answer.headers.get('content-range'),
        etag: answer.headers.get('etag'),
        disposition: answer.headers.get('content-disposition'),
      };
    }, `${service.url}/media/uppy/taken.mp3?download=1`);
    expect(seen).toMatchObject({
      status: 206,
      range: expect.stringMatching(/^bytes 0-9\//),
      etag: expect.stringMatching(/^"/),
      disposition: expect.stringContaining('taken.mp3'),
    });
    await page.close();
  });
});
