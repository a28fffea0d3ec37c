import { mkdir } from 'node:fs/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachChat, createHub } from '../src/chat/attach-chat.ts';
import { testLogger } from './helpers/app.ts';
import { CHROMIUM, CHROMIUM_ARGS } from './helpers/browser.ts';
import { startChat, type RunningChat } from './helpers/chat.ts';

const outputDir = new URL('../test-output/', import.meta.url);
const XSS = '<img src=x onerror=alert(1)>';

describe('chat page over HTTP', () => {
  let running: RunningChat;
  beforeAll(async () => {
    running = await startChat();
  });
  afterAll(() => running.close());

  it('serves the page with external script and stylesheet only, under its own CSP', async () => {
    const res = await request(running.url).get('/chat');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('<script type="module" src="/chat/chat.js"></script>');
    // A later Content-Security-Policy `default-src 'self'` forbids inline scripts, styles and handlers.
    expect(res.text.match(/<script(?![^>]*\bsrc=)/g)).toBeNull();
    expect(res.text).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    expect(res.text).toContain('<meta http-equiv="Content-Security-Policy" content="default-src \'self\'" />');
  });

  it.each([
    ['/chat/chat.js', /javascript/],
    ['/chat/chat.css', /^text\/css/],
  ])('serves %s', async (url, type) => {
    const res = await request(running.url).get(url);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(type);
  });

  it.each(['/chat', '/chat/chat.js'])('answers a range past the end of %s with JSON 416, not 500', async (url) => {
    const res = await request(running.url).get(url).set('Range', 'bytes=999999-');
    expect(res.status).toBe(416);
    expect(res.headers['content-range']).toMatch(/^bytes \*\/\d+$/);
    expect(res.body).toEqual({ code: 416, reason: 'range not satisfiable' });
  });

  it.each(['/chat', '/chat/chat.css'])('answers a failed If-Match on %s with JSON 412, not 500', async (url) => {
    const res = await request(running.url).get(url).set('If-Match', '"another version"');
    expect(res.status).toBe(412);
    expect(res.body).toEqual({ code: 412, reason: 'precondition failed' });
  });
});

describe('chat page in headless Chromium', () => {
  let running: RunningChat;
  let browser: Browser;
  beforeAll(async () => {
    running = await startChat();
    // launch() gives the browser a fresh temporary profile and removes it on close.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await running.close();
  });

  /** Everything a page did that it must not: dialogs (injected script ran) and CSP violations. */
  const incidents: string[] = [];

  async function newPage(): Promise<Page> {
    const context = await browser.newContext();
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    const page = await context.newPage();
    // Fail before the test timeout when the expected text never shows up, yet wait out a CI machine
    // whose two cores run three test files at once.
    page.setDefaultTimeout(15_000);
    page.on('dialog', (dialog) => {
      incidents.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('console', (message) => {
      if (message.text().startsWith('CSP violation')) incidents.push(message.text());
    });
    return page;
  }

  async function openChat(name: string, room: string): Promise<Page> {
    const page = await newPage();
    await page.goto(`${running.url}/chat`);
    await page.fill('#name', name);
    await page.fill('#room', room);
    await page.click('#join');
    await page.waitForSelector('#status[data-state="open"]');
    return page;
  }

  async function say(page: Page, text: string): Promise<void> {
    await page.fill('#text', text);
    await page.press('#text', 'Enter');
  }

  function lastMessage(page: Page): Promise<string | null> {
    return page.locator('#messages li.message').last().textContent();
  }

  it('exchanges messages between two pages and shows HTML as text', async () => {
    const alice = await openChat('alice', 'browser');
    const bob = await openChat('bob', 'browser');
    await alice.waitForFunction(() => document.querySelector('#messages')?.textContent?.includes('bob joined'));

    await say(alice, 'hello bob');
    await bob.waitForFunction(() => document.querySelector('#messages li.message:last-child .text')?.textContent === 'hello bob');
    await say(bob, XSS);
    for (const page of [alice, bob]) {
      await page.waitForFunction((xss) => document.querySelector('#messages li.message:last-child .text')?.textContent === xss, XSS);
      expect(await lastMessage(page)).toContain(XSS);
      expect(await page.locator('#messages img').count()).toBe(0);
      expect(await page.inputValue('#text')).toBe('');
    }
    expect(await alice.locator('#messages li.message .from').allTextContents()).toEqual(['alice', 'bob']);
    expect(incidents).toEqual([]);

    await mkdir(outputDir, { recursive: true });
    await alice.screenshot({ path: new URL('chat.png', outputDir).pathname });
    await Promise.all([alice.context().close(), bob.context().close()]);
  });

  it('shows a refused nickname and does not retry', async () => {
    const page = await newPage();
    await page.goto(`${running.url}/chat`);
    await page.fill('#name', '<b>bold</b>');
    await page.click('#join');
    await page.waitForSelector('#status[data-state="closed"]');
    expect(await page.textContent('#status')).toContain('invalid name');
    expect(await page.locator('#messages li.error').textContent()).toContain('nickname');
    expect(await page.locator('#messages b').count()).toBe(0);
    await page.context().close();
  });

  it('reconnects by itself after the server closes the connection', async () => {
    const page = await openChat('phoenix', 'reconnect');
    await running.chat.close(1001);
    await page.waitForSelector('#status[data-state="waiting"]');
    const again = attachChat(running.server, running.config, { logger: testLogger, hub: await createHub(running.config.chat, testLogger) });
    await page.waitForSelector('#status[data-state="open"]', { timeout: 10_000 });
    await say(page, 'back again');
    await page.waitForFunction(() => document.querySelector('#messages li.message:last-child .text')?.textContent === 'back again');
    expect(incidents).toEqual([]);
    await page.context().close();
    await again.close();
  });
});
