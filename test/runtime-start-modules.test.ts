import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempRoot } from './helpers/app.ts';
import { BOUNDED_YOUNG_GENERATION, startServiceProcess } from './helpers/process.ts';

const preload = new URL('./fixtures/loaded-packages.mjs', import.meta.url).href;

describe('what a service process loads', () => {
  let root: string;
  beforeAll(async () => {
    root = await tempRoot();
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** The npm packages a service process started with `config` loaded by the time it stopped, after `use(url)`. */
  async function packagesLoaded(name: string, config: object, use: (url: string) => Promise<void>): Promise<string[]> {
    const configFile = path.join(root, `${name}.json`);
    const listFile = path.join(root, `${name}-packages.json`);
    await writeFile(configFile, JSON.stringify({ storage: { root: path.join(root, name) }, ...config }));
    const service = await startServiceProcess({
      CONFIG_FILE: configFile,
      NODE_OPTIONS: `${BOUNDED_YOUNG_GENERATION} --import=${preload}`,
      LOADED_PACKAGES_FILE: listFile,
    });
    try {
      await use(service.url);
    } finally {
      expect(await service.stop()).toBe(0);
    }
    return JSON.parse(await readFile(listFile, 'utf8')) as string[];
  }

  // ioredis and undici are about a third of a start's CPU time and some 30 MB of its memory.
  it('loads neither the Redis client nor undici when no Redis, upstream or webhook is configured', async () => {
    const loaded = await packagesLoaded('plain', {}, async (url) => {
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      expect((await fetch(`${url}/proxy/files/x`)).status).toBe(404);
    });
    expect(loaded).toContain('express');
    expect(loaded).not.toContain('ioredis');
    expect(loaded).not.toContain('undici');
  });

  it('loads undici when an upstream is configured', async () => {
    const config = { proxy: { upstreams: { files: 'http://127.0.0.1:9/' } } };
    const loaded = await packagesLoaded('proxied', config, async (url) => {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    });
    expect(loaded).toContain('undici');
    expect(loaded).not.toContain('ioredis');
  });
});
