import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { launchBrowser, type Browser } from './helpers/browser.ts';
import { largeMp3 } from './helpers/tus.ts';

// Over the page's RESUMABLE_THRESHOLD (8 MiB).
const LARGE_BYTES = 10 * 1024 * 1024;

let browser: Browser;
let service: RunningService;
let scratch: string;
let file: string;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'library-row-'));
  file = path.join(scratch, 'long-take.mp3');
  await writeFile(file, largeMp3(LARGE_BYTES));
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
  await page.goto(`${service.url}/`);
  return page;
}

/** Holds every PATCH until `release` is called; `failing` ones are cut as a service that went down. */
async function holdPatches(page: Page, failing: () => boolean) {
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  let reached: () => void = () => {};
  const first = new Promise<void>((resolve) => (reached = resolve));
  await page.route('**/uploads/*', async (route) => {
    if (route.request().method() !== 'PATCH') return route.continue();
    reached();
    if (failing()) return route.abort('connectionrefused');
    await released;
    await route.continue();
  });
  return { first, release };
}

describe('library page: the row of a resumable upload', () => {
  it('keeps Pause and Cancel on the row’s one line at desktop width', async () => {
    const page = await openLibrary();
    await page.setViewportSize({ width: 1280, height: 800 });
    const held = await holdPatches(page, () => false);
    await page.fill('#upload-directory', 'rows');
    await page.setInputFiles('#file-input', file);
    await held.first;
    const row = page.locator('.upload-item').last();
    await row.locator('.upload-pause').waitFor({ state: 'visible' });
    const [name, cancel, pause] = await Promise.all(
      [row.locator('.upload-name'), row.getByRole('button', { name: 'Cancel' }), row.locator('.upload-pause')].map((part) =>
        part.boundingBox(),
      ),
    );
    const rowBox = (await row.boundingBox())!;
    // One line: both buttons beside the name, within the row's height of a single line.
    for (const button of [cancel!, pause!]) expect(Math.abs(button.y + button.height / 2 - (name!.y + name!.height / 2))).toBeLessThan(12);
    expect(rowBox.height).toBeLessThan(60);
    held.release();
    await row.and(page.locator('[data-code]')).waitFor({ timeout: 60_000 });
    expect(await row.getAttribute('data-code')).toBe('200');
    await page.close();
  }, 90_000);

  it('shows the Directory field’s text in the text colour, not the placeholder’s grey', async () => {
    const page = await openLibrary();
    const field = page.locator('#upload-directory');
    await field.fill('albums/2024');
    const [text, placeholder, body] = await field.evaluate((input) => [
      getComputedStyle(input).color,
      getComputedStyle(input, '::placeholder').color,
      getComputedStyle(document.body).color,
    ]);
    expect(text).toBe(body);
    expect(text).not.toBe(placeholder);
    await page.close();
  });

  it('says the connection is lost and it is retrying while the service does not answer, then stores the file', async () => {
    const page = await openLibrary();
    let down = true;
    const held = await holdPatches(page, () => down);
    await page.fill('#upload-directory', 'retries');
    await page.setInputFiles('#file-input', file);
    await held.first;
    const row = page.locator('.upload-item').last();
    await row.locator('.upload-status', { hasText: /Connection lost: retrying \(\d+ of \d+\)/ }).waitFor();
    down = false;
    held.release();
    await row.and(page.locator('[data-code]')).waitFor({ timeout: 60_000 });
    expect(await row.getAttribute('data-code')).toBe('200');
    await page.close();
  }, 90_000);
});
