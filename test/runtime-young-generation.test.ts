import { readFile, rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { tempRoot } from './helpers/app.ts';
import { startServiceProcess, type ServiceProcess } from './helpers/process.ts';
import { MAIN_SEMI_SPACE_MB } from '../src/runtime/young-generation.ts';

const MIB = 1024 * 1024;

/** The main thread's young generation (V8's new space) as the service's own /metrics reports it. */
async function newSpaceBytes(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = /^nodejs_heap_space_size_total_bytes\{space="new"\} (\d+)/m.exec(text);
  expect(line, 'the new-space gauge in /metrics').not.toBeNull();
  return Number(line![1]);
}

/** The NODE_OPTIONS the process with this PID runs with (proc(5) environ). */
async function nodeOptionsOf(pid: number): Promise<string | undefined> {
  const environ = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
  return environ.find((entry) => entry.startsWith('NODE_OPTIONS='))?.slice('NODE_OPTIONS='.length);
}

/** Sends 64 MiB of throwaway JSON-less bodies to a 404 route: allocation on the main thread, nothing stored. */
async function allocateOnMainThread(url: string): Promise<void> {
  const body = new Uint8Array(MIB).fill(0x61);
  for (let i = 0; i < 64; i++) {
    const res = await fetch(`${url}/nowhere-${i}`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
    await res.arrayBuffer();
  }
}

describe("the service process bounds its main thread's young generation", () => {
  let service: ServiceProcess | undefined;
  let root: string | undefined;
  afterEach(async () => {
    await service?.stop();
    service = undefined;
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('keeps the PID it was started with and a new space of at most two bounded semi-spaces, after start-up and after taking requests', async () => {
    root = await tempRoot('young-generation-');
    // Started as `npm start` starts it: nothing in NODE_OPTIONS (the helper's default bound left out).
    service = await startServiceProcess({ UPLOAD_DIR: root, LOG_LEVEL: 'info', NODE_OPTIONS: '' }, 30_000);
    expect(await nodeOptionsOf(service.child.pid!)).toContain(`--max-semi-space-size=${MAIN_SEMI_SPACE_MB}`);
    expect(await newSpaceBytes(service.url)).toBeLessThanOrEqual(2 * MAIN_SEMI_SPACE_MB * MIB);
    await allocateOnMainThread(service.url);
    expect(await newSpaceBytes(service.url)).toBeLessThanOrEqual(2 * MAIN_SEMI_SPACE_MB * MIB);
    expect(await service.stop()).toBe(0);
    expect(service.output()).toContain('"msg":"stopped"');
  }, 60_000);

  it("keeps an operator's own --max-semi-space-size from NODE_OPTIONS as it is", async () => {
    root = await tempRoot('young-generation-own-');
    service = await startServiceProcess({ UPLOAD_DIR: root, LOG_LEVEL: 'info', NODE_OPTIONS: '--max-semi-space-size=2' }, 30_000);
    expect(await nodeOptionsOf(service.child.pid!)).toBe('--max-semi-space-size=2');
    await allocateOnMainThread(service.url);
    expect(await newSpaceBytes(service.url)).toBeLessThanOrEqual(4 * MIB);
  }, 60_000);
});
