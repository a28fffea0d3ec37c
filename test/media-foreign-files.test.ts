import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { byHand } from './helpers/by-hand.ts';
import { fixture, sha256 } from './helpers/media.ts';
import { downloaded } from './helpers/stored.ts';

// One rule on every backend (this file runs in both vitest projects, local and s3): a file put
// beside the service by hand is listed and served whatever its extension, typed by it
// (unknown extensions as application/octet-stream, metadata null); dot names are never shown.
describe('files put beside the service by hand, of any extension', () => {
  let service: RunningService;
  const notes = Buffer.from('shopping list\n');

  beforeAll(async () => {
    service = await startService();
    const hand = byHand(service.config);
    await hand.put('by-hand', 'notes.txt', notes);
    await hand.put('by-hand', 'tone.mp3', fixture('tone.mp3'));
    await hand.put('by-hand', '.hidden.mp3', fixture('tone.mp3'));
  });
  afterAll(() => service.close());

  it('lists a .txt file as application/octet-stream with no metadata, beside the audio, and no dot name', async () => {
    const listed = await request(service.url).get('/media').query({ directory: 'by-hand' });
    expect(listed.status).toBe(200);
    expect(
      listed.body.files.map((f: { filename: string; contentType: string; metadata: unknown; sha256: string }) => [
        f.filename,
        f.contentType,
        f.metadata === null,
        f.sha256,
      ]),
    ).toEqual([
      ['notes.txt', 'application/octet-stream', true, sha256(notes)],
      ['tone.mp3', 'audio/mpeg', false, sha256(fixture('tone.mp3'))],
    ]);
  });

  it('serves the .txt file with its bytes, and refuses the dot name (400) as the path rules do', async () => {
    expect(await downloaded(service.url, 'by-hand', 'notes.txt')).toEqual(notes);
    expect((await request(service.url).get('/media/by-hand/.hidden.mp3')).status).toBe(400);
  });
});
