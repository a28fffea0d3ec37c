import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { launchBrowser, type Browser } from './helpers/browser.ts';
import { sha256 } from './helpers/media.ts';
import { largeMp3 } from './helpers/tus.ts';

// Over the page's RESUMABLE_THRESHOLD (8 MiB): 4 chunks of 4 MiB.
const LARGE_BYTES = 14 * 1024 * 1024;

let browser: Browser;
let service: RunningService;
let scratch: string;
const incidents: string[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'library-resumable-'));
  browser = await launchBrowser();
  service = await startService();
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await service?.close();
  await rm(scratch, { recursive: true, force: true });
});

async function openLibrary(): Promise<Page> {
  const page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => incidents.push(`page error: ${error.message}`));
  await page.goto(`${service.url}/`);
  return page;
}

async function pick(page: Page, directory: string, file: string): Promise<void> {
  await page.fill('#upload-directory', directory);
  await page.setInputFiles('#file-input', file);
}

const row = (page: Page, name: string) =>
  page
    .locator('.upload-item')
    .filter({ has: page.getByText(name, { exact: true }) })
    .last();

/** Request lines of the service for one method and path. */
const requests = (method: string, url: string | RegExp) =>
  service.logs.filter((line) => {
    const req = line.req as { method?: string; url?: string } | undefined;
    return req?.method === method && (typeof url === 'string' ? req.url === url : url.test(req.url ?? ''));
  });

/** Resolves once `count` PATCH requests reached the route, handing each to `handle`. */
function patches(page: Page, handle: (route: Route, index: number) => Promise<void>) {
  let index = 0;
  return page.route('**/uploads/*', async (route) => {
    if (route.request().method() !== 'PATCH') return route.continue();
    index += 1;
    await handle(route, index);
  });
}

describe('library page: large files go up resumably (tus)', () => {
  it('pauses and resumes, survives a dropped connection, and stores the exact bytes', async () => {
    const file = path.join(scratch, 'long-take.mp3');
    const bytes = largeMp3(LARGE_BYTES);
    await writeFile(file, bytes);
    const page = await openLibrary();
    let releaseHeld: () => void = () => {};
    const held = new Promise<void>((resolve) => (releaseHeld = resolve));
    let heldReached: () => void = () => {};
    const reached = new Promise<void>((resolve) => (heldReached = resolve));
    await patches(page, async (route, index) => {
      if (index === 2) {
        // The second chunk waits here until the person has paused (which aborts it).
        heldReached();
        await held;
        await route.abort('aborted').catch(() => undefined);
      } else if (index === 3) {
        await route.abort('connectionreset');
      } else {
        await route.continue();
      }
    });

    await pick(page, 'takes', file);
    await reached;
    await row(page, 'long-take.mp3').locator('.upload-pause').click();
    await page.waitForFunction(() => document.querySelector('.upload-item')?.getAttribute('data-state') === 'paused');
    expect(await row(page, 'long-take.mp3').locator('.upload-status').textContent()).toMatch(/^Paused at \d+ %$/);
    releaseHeld();
    await row(page, 'long-take.mp3').locator('.upload-pause').click();
    await row(page, 'long-take.mp3').and(page.locator('[data-code]')).waitFor({ timeout: 60_000 });

    expect(await row(page, 'long-take.mp3').getAttribute('data-state')).toBe('stored');
    // Digests, not the bytes: a failed toEqual on 14 MiB would build a diff of every byte.
    expect(sha256(await readFile(path.join(service.root, 'takes', 'long-take.mp3')))).toBe(sha256(bytes));
    // One upload, resumed in place: created once, its offset asked for after the pause and the cut.
    expect(requests('POST', '/uploads')).toHaveLength(1);
    expect(requests('HEAD', /^\/uploads\//).length).toBeGreaterThanOrEqual(2);
    await page.close();
    expect(incidents).toEqual([]);
  }, 90_000);

  it('reports a path taken during the upload (code 501) at once, without creating the upload again', async () => {
    const file = path.join(scratch, 'taken.mp3');
    await writeFile(file, largeMp3(LARGE_BYTES));
    const page = await openLibrary();
    await patches(page, async (route, index) => {
      // While the second chunk is on its way, another client stores the same path.
      if (index === 2) {
        const form = new FormData();
        form.append('race', new Blob([new Uint8Array(largeMp3(64 * 1024))]), 'taken.mp3');
        expect((await fetch(`${service.url}/media`, { method: 'POST', body: form })).status).toBe(200);
      }
      await route.continue();
    });
    const createdBefore = requests('POST', '/uploads').length;
    await pick(page, 'race', file);
    await row(page, 'taken.mp3').and(page.locator('[data-code]')).waitFor({ timeout: 60_000 });

    expect(await row(page, 'taken.mp3').getAttribute('data-code')).toBe('501');
    expect(await row(page, 'taken.mp3').getAttribute('data-state')).toBe('failed');
    // The service's verdict is final (422, which tus-js-client does not retry): a 409 would be
    // retried, find the upload gone and create it again, to be refused again after a minute.
    expect(requests('POST', '/uploads').length - createdBefore).toBe(1);
    await page.close();
    expect(incidents).toEqual([]);
  }, 90_000);

  it('continues after a page reload when the same file is picked again', async () => {
    const file = path.join(scratch, 'reloaded.mp3');
    const bytes = largeMp3(LARGE_BYTES + 12_345);
    await writeFile(file, bytes);
    const page = await openLibrary();
    let reachedSecond: () => void = () => {};
    const reached = new Promise<void>((resolve) => (reachedSecond = resolve));
    await patches(page, async (route, index) => {
      if (index === 2) {
        // The page goes away with this chunk on its way: the service keeps the first one.
        reachedSecond();
        return;
      }
      await route.continue();
    });
    const createdBefore = requests('POST', '/uploads').length;
    await pick(page, 'reload', file);
    await reached;
    await page.unroute('**/uploads/*');
    await page.reload();
    await pick(page, 'reload', file);
    await row(page, 'reloaded.mp3').and(page.locator('[data-code]')).waitFor({ timeout: 60_000 });

    expect(await row(page, 'reloaded.mp3').getAttribute('data-state')).toBe('stored');
    expect(sha256(await readFile(path.join(service.root, 'reload', 'reloaded.mp3')))).toBe(sha256(bytes));
    expect(requests('POST', '/uploads').length - createdBefore).toBe(1);
    await page.close();
    expect(incidents).toEqual([]);
  }, 90_000);
});
