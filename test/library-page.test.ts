import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { launchBrowser, TEST_OUTPUT, type Browser } from './helpers/browser.ts';
import { fixture } from './helpers/media.ts';
import { upload } from './helpers/upload.ts';

const FIXTURES = ['tone.mp3', 'tone.wav', 'tone-id3.mp3'] as const;
const fixturePath = (name: string) => new URL(`fixtures/${name}`, import.meta.url).pathname;
const XSS_NAME = '<img src=x onerror=alert(1)>.mp3';

let browser: Browser;
/** Files made for the file input: the XSS name, a non-audio .mp3, a large one. */
let scratch: string;
/** Everything a page did that it must not: native dialogs, uncaught errors, CSP violations. */
const incidents: string[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'library-page-'));
  await writeFile(path.join(scratch, XSS_NAME), fixture('tone.mp3'));
  await writeFile(path.join(scratch, 'notes.mp3'), 'shopping list: not audio\n');
  // Valid MP3 frames first (the content check reads the start), then padding to make it large.
  await writeFile(path.join(scratch, 'large.mp3'), Buffer.concat([fixture('tone.mp3'), Buffer.alloc(3 * 1024 * 1024)]));
  browser = await launchBrowser();
  await browser.context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await rm(scratch, { recursive: true, force: true });
});

async function openLibrary(url: string, hash = ''): Promise<Page> {
  const page = await browser.context.newPage();
  // Fail before the test timeout when what is awaited never shows up, yet wait out a CI machine
  // whose two cores run three test files at once (5 s was not enough there).
  page.setDefaultTimeout(15_000);
  page.on('dialog', (dialog) => {
    incidents.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => incidents.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.text().startsWith('CSP violation')) incidents.push(message.text());
  });
  await page.goto(`${url}/${hash}`);
  return page;
}

/** Picks files through the real file input, into `directory`, and waits for every verdict. */
async function uploadThroughInput(page: Page, directory: string, files: string[]): Promise<void> {
  const before = await page.locator('.upload-item').count();
  await page.fill('#upload-directory', directory);
  await page.setInputFiles('#file-input', files);
  await page.waitForFunction((count) => document.querySelectorAll('.upload-item[data-code]').length === count, before + files.length);
}

/** Navigates inside the page (the address names the directory), keeping the upload rows. */
async function showDirectory(page: Page, directory: string): Promise<void> {
  await page.evaluate(
    (hash) => {
      location.hash = hash;
    },
    `#/${encodeURIComponent(directory)}`,
  );
}

function uploadRow(page: Page, name: string) {
  return page
    .locator('.upload-item')
    .filter({ has: page.getByText(name, { exact: true }) })
    .last();
}

function card(page: Page, filename: string) {
  return page.locator('#files .file').filter({ has: page.getByText(filename, { exact: true }) });
}

async function listedFiles(page: Page): Promise<string[][]> {
  return page
    .locator('#files .file')
    .evaluateAll((cards) =>
      cards.map((card) => [card.querySelector('.file-name')?.textContent ?? '', card.querySelector('.duration')?.textContent ?? '']),
    );
}

describe('library page in headless Chromium', () => {
  let service: RunningService;
  let page: Page;
  beforeAll(async () => {
    service = await startService();
    page = await openLibrary(service.url);
  });
  afterAll(async () => {
    await page?.close();
    await service?.close();
  });

  it('links to the chat page and hides the token controls of a service without tokens', async () => {
    await page.waitForSelector('#token-box[data-tokens="none"]', { state: 'attached' });
    expect(await page.isHidden('#token-box')).toBe(true);
    expect(await page.getAttribute('a.chat-link', 'href')).toBe('/chat');
    const chat = await openLibrary(service.url);
    await Promise.all([chat.waitForURL(`${service.url}/chat`), chat.click('a.chat-link')]);
    expect(await chat.title()).toMatch(/chat/i);
    await chat.close();
    expect(incidents).toEqual([]);
  });

  it('uploads the fixtures through the file input and lists them with their durations', async () => {
    await uploadThroughInput(page, 'songs', FIXTURES.map(fixturePath));
    for (const name of FIXTURES) {
      await expect(uploadRow(page, name).getAttribute('data-state')).resolves.toBe('stored');
      expect(await uploadRow(page, name).locator('.outcome').textContent()).toBe('Stored');
    }
    await page.waitForFunction(() => document.querySelectorAll('#files .file').length === 3);
    expect(await listedFiles(page)).toEqual([
      ['tone-id3.mp3', '0:30'],
      ['tone.mp3', '0:01'],
      ['tone.wav', '0:01'],
    ]);
    expect(await page.locator('#breadcrumbs [aria-current]').textContent()).toBe('songs');
    expect(await card(page, 'tone-id3.mp3').locator('.file-title').textContent()).toBe('Test Tone — Fixture');
    expect(await card(page, 'tone.wav').locator('a.download').getAttribute('href')).toBe('/media/songs/tone.wav');
    expect(incidents).toEqual([]);
  });

  it('shows the service code and reason for an .mp3 that is not audio, and lists nothing', async () => {
    await uploadThroughInput(page, 'rejects', [path.join(scratch, 'notes.mp3')]);
    const row = uploadRow(page, 'notes.mp3');
    expect(await row.getAttribute('data-state')).toBe('failed');
    expect(await row.getAttribute('data-code')).toBe('504');
    expect(await row.locator('.upload-status').textContent()).toMatch(
      /Not a supported audio file\s+504 · format not supported: .*not \.mp3/,
    );
    await page.waitForSelector('#browse-status:has-text("Nothing in rejects/ yet")');
    expect(await page.locator('#files .file').count()).toBe(0);
    await expect(stat(path.join(service.root, 'rejects', 'notes.mp3'))).rejects.toThrow(/ENOENT/);
  });

  it('renders a file named like HTML as text, in the upload rows and in the listing', async () => {
    await uploadThroughInput(page, 'xss', [path.join(scratch, XSS_NAME)]);
    expect(await uploadRow(page, XSS_NAME).getAttribute('data-state')).toBe('stored');
    await card(page, XSS_NAME).waitFor();
    expect(await card(page, XSS_NAME).locator('.file-name').textContent()).toBe(XSS_NAME);
    expect(await page.locator('img').count()).toBe(0);
    expect(await card(page, XSS_NAME).locator('a.download').getAttribute('href')).toBe(`/media/xss/${encodeURIComponent(XSS_NAME)}`);
    expect(incidents).toEqual([]);
  });

  it('plays a stored file through the download endpoint, seekable', async () => {
    await upload(service.url, 'multipart', { directory: 'play', filename: 'tone-id3.mp3', bytes: fixture('tone-id3.mp3') }).expect(200);
    await showDirectory(page, 'play');
    const audio = card(page, 'tone-id3.mp3').locator('audio');
    await audio.waitFor();
    await audio.evaluate((element: HTMLAudioElement) => element.play());
    await page.waitForFunction(() => (document.querySelector('#files audio') as HTMLAudioElement | null)!.currentTime > 0);
    const seekableEnd = await audio.evaluate((element: HTMLAudioElement) => {
      element.pause();
      return element.seekable.length > 0 ? element.seekable.end(0) : 0;
    });
    expect(seekableEnd).toBeGreaterThan(29);
  });

  it('deletes a file only after confirmation, and it is gone from the page and from disk', async () => {
    for (const name of ['tone.mp3', 'tone.wav'] as const) {
      await upload(service.url, 'multipart', { directory: 'delete', filename: name, bytes: fixture(name) }).expect(200);
    }
    await showDirectory(page, 'delete');
    await card(page, 'tone.wav').waitFor();

    await card(page, 'tone.wav').locator('button.delete').click();
    expect(await page.locator('#confirm-delete').getAttribute('open')).not.toBeNull();
    expect(await page.locator('#confirm-name').textContent()).toBe('tone.wav');
    await page.locator('#confirm-delete button[value="cancel"]').click();
    expect(await page.locator('#confirm-delete').getAttribute('open')).toBeNull();
    await stat(path.join(service.root, 'delete', 'tone.wav'));

    await card(page, 'tone.wav').locator('button.delete').click();
    await page.click('#confirm-ok');
    await page.waitForSelector('#browse-status:has-text("Deleted tone.wav.")');
    expect((await listedFiles(page)).map(([name]) => name)).toEqual(['tone.mp3']);
    await expect(stat(path.join(service.root, 'delete', 'tone.wav'))).rejects.toThrow(/ENOENT/);
    expect(incidents).toEqual([]);
  });

  it('uploads files dropped on the drop zone', async () => {
    await page.fill('#upload-directory', 'dropped');
    const dataTransfer = await page.evaluateHandle((base64) => {
      const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], 'dropped.wav', { type: 'audio/wav' }));
      return transfer;
    }, fixture('tone.wav').toString('base64'));
    await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer });
    await page.waitForSelector('.upload-item[data-state="stored"]:has-text("dropped.wav")');
    await card(page, 'dropped.wav').waitFor();
    expect((await stat(path.join(service.root, 'dropped', 'dropped.wav'))).size).toBe(fixture('tone.wav').length);
  });

  it('shows a large upload progressing while the page stays responsive', async () => {
    // Throttle uploads to 4 MiB/s so that the 3 MiB file takes long enough to watch.
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 4 * 1024 * 1024,
    });
    await page.evaluate(() => {
      const watch = { values: [] as number[], longestGapMs: 0 };
      (globalThis as unknown as { watch: typeof watch }).watch = watch;
      new MutationObserver((records) => {
        for (const record of records) watch.values.push((record.target as HTMLProgressElement).value);
      }).observe(document.getElementById('upload-list')!, { subtree: true, attributeFilter: ['value'] });
      // A timer that cannot fire on time means the page's main thread was blocked.
      let last = performance.now();
      setInterval(() => {
        const now = performance.now();
        watch.longestGapMs = Math.max(watch.longestGapMs, now - last);
        last = now;
      }, 20);
    });
    try {
      await uploadThroughInput(page, 'large', [path.join(scratch, 'large.mp3')]);
    } finally {
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      await cdp.detach();
    }
    expect(await uploadRow(page, 'large.mp3').getAttribute('data-state')).toBe('stored');
    const watch = await page.evaluate(() => (globalThis as unknown as { watch: { values: number[]; longestGapMs: number } }).watch);
    expect(watch.values.filter((value) => value > 0 && value < 1).length).toBeGreaterThan(2);
    // A 20 ms timer half a second late means a blocked main thread; the bound leaves room for a
    // busy 2-core machine running other test files at the same time.
    expect(watch.longestGapMs).toBeLessThan(500);
  });

  it('pages through a directory of more files than one page holds', async () => {
    const names = Array.from({ length: 23 }, (_, i) => `track-${String(i + 1).padStart(2, '0')}.mp3`);
    await Promise.all(
      names.map((filename) => upload(service.url, 'multipart', { directory: 'many', filename, bytes: fixture('tone.mp3') }).expect(200)),
    );
    await showDirectory(page, 'many');
    await page.waitForFunction(() => document.querySelectorAll('#files .file').length === 20);
    expect(await page.locator('#previous').isDisabled()).toBe(true);
    await page.click('#next');
    await page.waitForFunction(() => document.querySelectorAll('#files .file').length === 3);
    expect((await listedFiles(page)).map(([name]) => name)).toEqual(names.slice(20));
    expect(await page.locator('#next').isDisabled()).toBe(true);
    await page.click('#previous');
    await page.waitForFunction(() => document.querySelector('#files .file .file-name')?.textContent === 'track-01.mp3');
  });

  it('fits desktop and phone widths (screenshots under test-output/)', async () => {
    await mkdir(TEST_OUTPUT, { recursive: true });
    await showDirectory(page, 'songs');
    await page.waitForFunction(() => document.querySelectorAll('#files .file').length === 3);
    for (const [name, width, height] of [
      ['desktop', 1280, 900],
      ['phone', 390, 844],
    ] as const) {
      await page.setViewportSize({ width, height });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `horizontal overflow at ${width} px`).toBeLessThanOrEqual(0);
      await page.screenshot({ path: path.join(TEST_OUTPUT, `library-${name}.png`), fullPage: true });
    }
    expect(incidents).toEqual([]);
  });
});

describe('library page when the service needs a bearer token', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({ auth: { tokens: ['s3cret'], protectReads: true } });
  });
  afterAll(() => service?.close());

  it('asks once, says when a token is refused, keeps it for the tab and plays behind it', async () => {
    const page = await openLibrary(service.url);
    await page.waitForSelector('#token-panel:not([hidden])');
    // Asked GET /auth and kept the token controls: this service has tokens.
    await page.waitForSelector('#token-box[data-tokens="needed"]');
    expect(await page.isVisible('#token-box')).toBe(true);
    expect(await page.textContent('#token-message')).toContain(
      'needs a bearer token to browse and play files (401: missing or wrong bearer token)',
    );

    await page.fill('#token-input', 'wrong');
    await page.click('#token-form button[type="submit"]');
    await page.waitForSelector('#token-message:has-text("The token was refused (401")');
    await page.fill('#token-input', 's3cret');
    await page.click('#token-form button[type="submit"]');
    await page.waitForSelector('#browse-status:has-text("Nothing stored yet")');
    expect(await page.isHidden('#token-panel')).toBe(true);
    expect(await page.evaluate(() => sessionStorage.getItem('media-library.token'))).toBe('s3cret');
    expect(await page.evaluate(() => localStorage.length)).toBe(0);

    // The token is known now: the upload goes through without asking again.
    await uploadThroughInput(page, 'private', [fixturePath('tone-id3.mp3')]);
    expect(await uploadRow(page, 'tone-id3.mp3').getAttribute('data-state')).toBe('stored');
    expect(await page.isHidden('#token-panel')).toBe(true);

    // <audio src> cannot send the token: the page fetches the file with it and plays a blob.
    await page.reload();
    await card(page, 'tone-id3.mp3').locator('button.play').click();
    await page.waitForFunction(() => {
      const audio = document.querySelector('#files audio') as HTMLAudioElement | null;
      return audio !== null && audio.src.startsWith('blob:') && audio.currentTime > 0;
    });
    expect(await page.isHidden('#token-panel')).toBe(true);
    expect(incidents).toEqual([]);
    await page.close();
  });
});

describe('library page when only writes need a bearer token, in legacy status mode', () => {
  let service: RunningService;
  beforeAll(async () => {
    // Legacy mode answers HTTP 200 even for a 401: the page must read the code in the body.
    service = await startService({ auth: { tokens: ['s3cret'] }, media: { statusMode: 'legacy' } });
  });
  afterAll(() => service?.close());

  it('shows the 401 reason when the person cancels, and stores once the token is given', async () => {
    const page = await openLibrary(service.url);
    await page.fill('#upload-directory', 'guarded');
    await page.setInputFiles('#file-input', [fixturePath('tone.mp3')]);
    await page.waitForSelector('#token-message:has-text("needs a bearer token to upload and delete files (401")');
    expect(await uploadRow(page, 'tone.mp3').locator('.upload-status').textContent()).toBe('Waiting for a token…');
    await page.click('#token-cancel');
    await page.waitForSelector('.upload-item[data-code="401"]');
    expect(await uploadRow(page, 'tone.mp3').locator('.upload-status').textContent()).toBe(
      'Token needed 401 · missing or wrong bearer token',
    );
    expect(await page.isHidden('#token-panel')).toBe(true);

    await page.setInputFiles('#file-input', [fixturePath('tone.mp3')]);
    await page.waitForSelector('#token-panel:not([hidden])');
    await page.fill('#token-input', 's3cret');
    await page.press('#token-input', 'Enter');
    await page.waitForSelector('.upload-item[data-code="200"]');
    await card(page, 'tone.mp3').waitFor();
    expect(await card(page, 'tone.mp3').locator('audio').getAttribute('src')).toBe('/media/guarded/tone.mp3');
    expect(incidents).toEqual([]);
    await page.close();
  });
});
