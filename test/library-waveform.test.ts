import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { analysisFinished } from './helpers/analysis.ts';
import { startService, type RunningService } from './helpers/app.ts';
import { sox } from './helpers/audio-tools.ts';
import { launchBrowser, type Browser } from './helpers/browser.ts';
import { upload } from './helpers/upload.ts';

// The library page in headless Chromium draws a file's waveform with wavesurfer.js from the
// service's peaks, without downloading the file, seeks the player where it is clicked, and shows
// the integrated loudness; under the page's Content-Security-Policy, with no violation.
let service: RunningService;
let browser: Browser;
let dir: string;
const incidents: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'library-waveform-'));
  await sox('-n', '-r', '48000', '-b', '16', '-c', '2', path.join(dir, 'sine.wav'), 'synth', '6', 'sine', '1000', 'vol', '-23dB');
  [service, browser] = await Promise.all([startService(), launchBrowser()]);
  await browser.context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => console.error(`CSP violation: ${event.violatedDirective}`));
  });
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await service?.close();
  await rm(dir, { recursive: true, force: true });
});

async function openLibrary(hash: string): Promise<{ page: Page; requested: string[] }> {
  const page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
  const requested: string[] = [];
  page.on('request', (request) => requested.push(new URL(request.url()).pathname + new URL(request.url()).search));
  page.on('pageerror', (error) => incidents.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') incidents.push(message.text());
  });
  await page.goto(`${service.url}/${hash}`);
  return { page, requested };
}

it('draws the waveform from the peaks alone, plays from where it is clicked and shows the integrated loudness', async () => {
  const bytes = await readFile(path.join(dir, 'sine.wav'));
  expect((await upload(service.url, 'multipart', { directory: 'waves', filename: 'sine.wav', bytes })).status).toBe(200);
  expect((await analysisFinished(service.url, 'waves', 'sine.wav')).analysis).toBe('done');

  const { page, requested } = await openLibrary('#/waves');
  const card = page.locator('li.file', { hasText: 'sine.wav' });
  await card.locator('.waveform canvas').first().waitFor();
  expect(await card.locator('.loudness').textContent()).toBe('-23.0 LUFS');
  expect(requested).toContain('/waveforms/waves/sine.wav?pixels=1200');
  // Drawn without a byte of the file: the player's preload is none and nothing else asked for it.
  expect(requested.filter((url) => url.startsWith('/media/waves/'))).toEqual([]);

  const box = (await card.locator('.waveform').boundingBox())!;
  await page.mouse.click(box.x + box.width * 0.5, box.y + box.height / 2);
  // A click plays from there: only now does the player fetch the file.
  await page.waitForFunction(() => (document.querySelector('li.file audio') as HTMLAudioElement).currentTime > 2.9);
  const time = await card.locator('audio').evaluate((audio: HTMLAudioElement) => {
    audio.pause();
    return audio.currentTime;
  });
  expect(time).toBeGreaterThan(2.9);
  expect(time).toBeLessThan(4.5);
  expect(incidents).toEqual([]);
  await page.close();
});
