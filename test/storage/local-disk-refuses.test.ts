import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from '../helpers/app.ts';
import { fixture } from '../helpers/media.ts';
import { BODY_KINDS, upload } from '../helpers/upload.ts';

describe.each(BODY_KINDS)('local backend: a directory the disk refuses to write, %s body', (kind) => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService();
  });
  afterAll(() => service.close());

  it('answers 500 with no details when the disk refuses, and leaves no temp file', async () => {
    // chattr +i: no new names in it, even for root, which ignores permission bits.
    const blocked = path.join(service.root, 'blocked');
    await mkdir(blocked);
    execFileSync('chattr', ['+i', blocked]);
    try {
      const res = await upload(service.url, kind, { directory: 'blocked', filename: 'a.mp3', bytes: fixture('tone.mp3') });
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ code: 500, reason: 'internal error' });
      expect(await service.store.staged()).toEqual([]);
    } finally {
      execFileSync('chattr', ['-i', blocked]);
    }
  });
});
