import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless Chromium kept off the network (this machine's network is closed; Google lookups fail). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

/** Where screenshots go for a person to look at (git-ignored). */
export const TEST_OUTPUT = new URL('../../test-output/', import.meta.url).pathname;

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Debian's headless Chromium with a fresh temporary profile, removed on close. */
export async function launchBrowser(): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const context = await browser.newContext();
  return {
    context,
    async close() {
      await browser.close();
    },
  };
}
