import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { analysisFinished, resultFilesOf } from './helpers/analysis.ts';
import { startService, type RunningService } from './helpers/app.ts';
import { fixture } from './helpers/media.ts';
import { upload } from './helpers/upload.ts';

// A download's Audio-Analysis headers follow the file's analysis record as it is on disk at that
// moment, even when the record is replaced or taken away behind the service's back, and even
// after many downloads that read the same record.
let service: RunningService;
let record: string;
let written: { loudness: { integrated: number } } & Record<string, unknown>;

const loudnessHeader = async () => {
  const answer = await request(service.url).head('/media/kept/tone.wav');
  expect(answer.status).toBe(200);
  return [answer.headers['audio-analysis'], answer.headers['audio-loudness']];
};

beforeAll(async () => {
  service = await startService();
  expect((await upload(service.url, 'multipart', { directory: 'kept', filename: 'tone.wav', bytes: fixture('tone.wav') })).status).toBe(
    200,
  );
  expect((await analysisFinished(service.url, 'kept', 'tone.wav')).analysis).toBe('done');
  record = (await resultFilesOf(service.root, 'kept', 'tone.wav')).find((file) => path.extname(file) === '.json')!;
  written = JSON.parse(await readFile(record, 'utf8'));
}, 30_000);
afterAll(() => service.close());

it('answers the same record for repeated downloads, then a record replaced as the service replaces it', async () => {
  const [state, loudness] = await loudnessHeader();
  expect(state).toBe('done');
  expect(loudness).toContain(`integrated=${written.loudness.integrated.toFixed(2)}`);
  for (let i = 0; i < 5; i++) expect(await loudnessHeader()).toEqual([state, loudness]);

  const replaced = { ...written, loudness: { ...written.loudness, integrated: -7.5 } };
  await writeFile(`${record}.by-hand`, JSON.stringify(replaced));
  await rename(`${record}.by-hand`, record);
  expect((await loudnessHeader())[1]).toContain('integrated=-7.50');
});

it('answers a record rewritten in place, and pending once the record is gone', async () => {
  const rewritten = { ...written, loudness: { ...written.loudness, integrated: -31.25 } };
  await writeFile(record, JSON.stringify(rewritten));
  expect((await loudnessHeader())[1]).toContain('integrated=-31.25');

  await unlink(record);
  expect(await loudnessHeader()).toEqual(['pending', undefined]);
});
