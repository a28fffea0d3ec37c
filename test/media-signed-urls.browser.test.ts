import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { testKey } from './helpers/access.ts';
import { launchBrowser, type Browser } from './helpers/browser.ts';
import { fixture, sha256 } from './helpers/media.ts';
import { storedFiles } from './helpers/stored.ts';
import { upload } from './helpers/upload.ts';

const ADMIN = 'admin-token';
const sharer = testKey('sharer', ['read'], ['play']);

describe('signed URLs in Chromium', () => {
  let service: RunningService;
  let browser: Browser;
  beforeAll(async () => {
    service = await startService({
      auth: {
        tokens: [ADMIN],
        keys: [sharer.entry],
        protectReads: true,
        signingKeys: [{ id: 'k1', secret: 'a-signing-secret-of-at-least-32-characters' }],
      },
    });
    const stored = await upload(service.url, 'multipart', {
      directory: 'play',
      filename: 'tone-id3.mp3',
      bytes: fixture('tone-id3.mp3'),
      token: ADMIN,
    });
    expect(stored.status).toBe(200);
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  const sign = async (body: Record<string, unknown>) => {
    const res = await fetch(`${service.url}/signed-urls`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await res.json()) as { url: string };
  };

  it('plays and seeks <audio src=signed-url> although reads need a key', async () => {
    const { url } = await sign({ operation: 'download', directory: 'play', filename: 'tone-id3.mp3' });
    const page = await browser.context.newPage();
    await page.goto(`${service.url}/healthz`);
    const state = await page.evaluate(async (src) => {
      const audio = document.createElement('audio');
      audio.preload = 'auto';
      audio.src = src;
      document.body.append(audio);
      await new Promise<void>((resolve, reject) => {
        audio.addEventListener('canplay', () => resolve(), { once: true });
        audio.addEventListener('error', () => reject(new Error(`media error ${audio.error?.code}`)), { once: true });
      });
      audio.currentTime = 20;
      await new Promise((resolve) => audio.addEventListener('seeked', resolve, { once: true }));
      return { duration: audio.duration, currentTime: audio.currentTime, seekableEnd: audio.seekable.end(0) };
    }, url);
    expect(state.duration).toBeCloseTo(30, 0);
    expect(state.seekableEnd).toBeCloseTo(state.duration, 1);
    expect(state.currentTime).toBeCloseTo(20, 0);
    await page.close();
  });

  it('stores the file a plain HTML form posts to an upload URL', async () => {
    const { url } = await sign({ operation: 'upload', directory: 'play', filename: 'from-form.mp3' });
    const page = await browser.context.newPage();
    await page.goto(`${service.url}/healthz`);
    await page.evaluate((action) => {
      document.body.innerHTML = `<form method="post" enctype="multipart/form-data"><input type="file" name="file"><button>Send</button></form>`;
      document.querySelector('form')!.action = action;
    }, url);
    await page.setInputFiles('input[type=file]', { name: 'my recording.mp3', mimeType: 'audio/mpeg', buffer: fixture('tone.mp3') });
    const [answer] = await Promise.all([page.waitForResponse((res) => res.request().method() === 'POST'), page.click('button')]);
    expect(answer.status()).toBe(200);
    expect(await answer.json()).toMatchObject({
      code: 200,
      files: [{ directory: 'play', filename: 'from-form.mp3', sha256: sha256(fixture('tone.mp3')) }],
    });
    expect(await storedFiles(service.store, 'play')).toContain('play/from-form.mp3');
    await page.close();
  });

  it('library page: Share copies a signed link that opens in a fresh context with no token; buttons the key cannot use are not offered', async () => {
    const context = browser.context;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: service.url });
    await context.addInitScript((secret) => sessionStorage.setItem('media-library.token', secret), sharer.secret);
    const page = await context.newPage();
    await page.goto(`${service.url}/#/play`);
    const card = page.locator('li.file[data-filename="tone-id3.mp3"]');
    await card.waitFor();
    expect(await card.locator('button.delete').isHidden()).toBe(true);
    expect(await page.locator('#upload-panel').isHidden()).toBe(true);
    await card.locator('select.share-lifetime').selectOption({ label: '1 day' });
    await card.locator('button.share').click();
    const link = card.locator('a.share-link');
    await link.waitFor();
    const href = (await link.getAttribute('href'))!;
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(href);
    const claims = JSON.parse(Buffer.from(new URL(href).searchParams.get('signature')!.split('.')[1]!, 'base64url').toString('utf8')) as {
      exp: number;
    };
    expect(claims.exp - Date.now() / 1000).toBeGreaterThan(86_400 - 60);
    await page.close();

    const fresh = await context.browser()!.newContext();
    try {
      const stranger = await fresh.newPage();
      const opened = await stranger.goto(href);
      expect(opened!.status()).toBe(200);
      expect(opened!.headers()['content-type']).toBe('audio/mpeg');
      expect(await stranger.evaluate(() => sessionStorage.length)).toBe(0);
    } finally {
      await fresh.close();
    }
  });
});
