import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { tempRoot } from './helpers/app.ts';
import { exitOf, spawnService, startServiceProcess } from './helpers/process.ts';

describe('the service process', () => {
  const roots: string[] = [];
  afterAll(async () => {
    await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
  });

  it('starts on the environment, answers /healthz and exits 0 on SIGTERM', async () => {
    const root = await tempRoot();
    roots.push(root);
    const service = await startServiceProcess({ UPLOAD_DIR: root, HOST: '127.0.0.1' });
    try {
      const res = await fetch(`${service.url}/healthz`);
      expect(res.status).toBe(200);
      expect(service.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      expect(await service.stop('SIGTERM')).toBe(0);
    }
  });

  it('refuses to start on a bad value with one line naming the key', async () => {
    const child = spawnService({ PORT: 'eighty' });
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    expect(await exitOf(child)).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/server\.port \(from PORT\)/);
  });
});
