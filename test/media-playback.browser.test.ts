import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { launchBrowser, type Browser } from './helpers/browser.ts';
import { fixture } from './helpers/media.ts';
import { upload } from './helpers/upload.ts';

describe('a stored file in a browser <audio> element', () => {
  let service: RunningService;
  let browser: Browser;
  beforeAll(async () => {
    service = await startService();
    await upload(service.url, 'multipart', { directory: 'play', filename: 'tone-id3.mp3', bytes: fixture('tone-id3.mp3') });
    await upload(service.url, 'multipart', { directory: 'play', filename: 'tone.wav', bytes: fixture('tone.wav') });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  it.each([
    ['tone-id3.mp3', 30, 20],
    ['tone.wav', 1, 0.5],
  ])('plays and seeks %s', async (name, duration, seekTo) => {
    const page = await browser.context.newPage();
    await page.goto(`${service.url}/healthz`);
    const state = await page.evaluate(
      async ({ src, seekTo }) => {
        const audio = document.createElement('audio');
        audio.preload = 'auto';
        audio.src = src;
        document.body.append(audio);
        await new Promise<void>((resolve, reject) => {
          audio.addEventListener('canplay', () => resolve(), { once: true });
          audio.addEventListener('error', () => reject(new Error(`media error ${audio.error?.code}`)), { once: true });
        });
        const seekable = audio.seekable.length ? [audio.seekable.start(0), audio.seekable.end(0)] : [];
        audio.currentTime = seekTo;
        await new Promise((resolve) => audio.addEventListener('seeked', resolve, { once: true }));
        return { readyState: audio.readyState, duration: audio.duration, seekable, currentTime: audio.currentTime };
      },
      { src: `/media/play/${name}`, seekTo },
    );
    expect(state.readyState).toBeGreaterThanOrEqual(2);
    expect(state.duration).toBeCloseTo(duration, 0);
    expect(state.seekable[0]).toBe(0);
    expect(state.seekable[1]).toBeCloseTo(state.duration, 1);
    expect(state.currentTime).toBeCloseTo(seekTo, 0);
    await page.close();
  });
});
