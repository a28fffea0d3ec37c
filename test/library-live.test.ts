import type { Page } from 'playwright-core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testKey } from './helpers/access.ts';
import { startService, type RunningService } from './helpers/app.ts';
import { launchBrowser, type Browser } from './helpers/browser.ts';
import { uniqueMp3 } from './helpers/media.ts';
import { upload } from './helpers/upload.ts';

let browser: Browser;
let service: RunningService;
const errors: string[] = [];
const admin = testKey('admin', ['read', 'write', 'delete']);

beforeAll(async () => {
  service = await startService({ auth: { keys: [admin.entry], protectReads: true } });
  browser = await launchBrowser();
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await service?.close();
});

async function openLibrary(hash: string): Promise<Page> {
  const page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => errors.push(error.message));
  // The token as the page keeps it once entered (token.js), so reads and the feed carry it.
  await page.addInitScript((token) => sessionStorage.setItem('media-library.token', token), admin.secret);
  await page.goto(`${service.url}/${hash}`);
  return page;
}

const card = (page: Page, filename: string) => page.locator('#files .file').filter({ has: page.getByText(filename, { exact: true }) });

describe('library page live updates', () => {
  it('shows a file another client stored, and takes away one it deleted, without a reload', async () => {
    await upload(service.url, 'multipart', { directory: 'live', filename: 'first.mp3', bytes: uniqueMp3('first'), token: admin.secret });
    const page = await openLibrary('#/live');
    await card(page, 'first.mp3').waitFor();
    const loads = await page.evaluate(() => performance.getEntriesByType('navigation').length);

    await upload(service.url, 'urlencoded', { directory: 'live', filename: 'other.mp3', bytes: uniqueMp3('other'), token: admin.secret });
    await card(page, 'other.mp3').waitFor();
    await request(service.url).delete('/media').query({ directory: 'live', filename: 'first.mp3' }).set(admin.bearer);
    await card(page, 'first.mp3').waitFor({ state: 'detached' });
    // A directory made by another client appears in the directory shown above it.
    await upload(service.url, 'multipart', { directory: 'live/new', filename: 'x.mp3', bytes: uniqueMp3('x'), token: admin.secret });
    await page.locator('#directories a', { hasText: 'new/' }).waitFor();

    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(loads);
    expect(errors).toEqual([]);
    await page.close();
  });
});
