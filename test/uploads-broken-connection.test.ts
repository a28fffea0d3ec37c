import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { sha256 } from './helpers/media.ts';
import { createUpload, headUpload, largeMp3, patchUpload, openPatch } from './helpers/tus.ts';
import { waitFor } from './helpers/wait.ts';

const SENT_BEFORE_BREAK = 250_000;

// A PATCH whose connection breaks in the middle of its body, on the raw socket as a phone would.
describe('a resumable upload whose connection breaks mid-chunk', () => {
  let service: RunningService;

  beforeAll(async () => {
    service = await startService();
  });
  afterAll(() => service.close());

  const bytesOnDisk = async (id: string) =>
    (await stat(path.join(service.root, '.resumable', `${id}.bin`)).catch(() => undefined))?.size ?? -1;

  it('counts the bytes that arrived, keeps exactly those on disk, then completes from there with the right sha256', async () => {
    const bytes = largeMp3(600_000);
    const created = await createUpload(service.url, 'tus', 'broken.mp3', bytes.length);
    const location = created.headers.get('location')!;
    const id = location.split('/').at(-1)!;

    const request = openPatch(`${service.url}${location}`, { length: bytes.length });
    request.on('error', () => undefined);
    request.write(bytes.subarray(0, SENT_BEFORE_BREAK));
    await waitFor('the first bytes on disk', async () => (await bytesOnDisk(id)) === SENT_BEFORE_BREAK);
    request.destroy();

    let offset = -1;
    await waitFor('the upload free again', async () => {
      const head = await headUpload(service.url, location);
      offset = Number(head.headers.get('upload-offset'));
      return head.status === 200 && offset >= 0 && (await bytesOnDisk(id)) === offset;
    });
    // What arrived before the break counts (tus: the server should keep as many bytes as it can).
    expect(offset).toBe(SENT_BEFORE_BREAK);

    const rest = await patchUpload(service.url, location, offset, bytes.subarray(offset));
    expect(rest.status).toBe(200);
    const answer = (await rest.json()) as { files: Array<{ size: number; sha256: string }> };
    expect(answer.files[0]).toMatchObject({ size: bytes.length, sha256: sha256(bytes) });
    expect(service.logs.filter((line) => line.level >= 50)).toEqual([]);
  });
});
