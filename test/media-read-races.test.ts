import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from './helpers/app.ts';
import { sha256, uniqueMp3 } from './helpers/media.ts';
import { upload } from './helpers/upload.ts';

const ROUNDS = 60;
const READERS = 4;

type Outcome = 'consistent' | 'mismatch' | 'not found' | string;

/** One GET: 200 whose bytes hash to its ETag, 200 whose bytes do not, 404, or another status. */
async function getOnce(url: string): Promise<Outcome> {
  const res = await fetch(url);
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status === 404) return 'not found';
  if (res.status !== 200) return `status ${res.status}`;
  return res.headers.get('etag') === `"${sha256(body)}"` ? 'consistent' : 'mismatch';
}

function count(outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}

// Bounded by rounds, not time: the timeout only guards against a hang (the S3 backend takes 15-20 s here, more under CI load).
describe('reads racing deletes and new uploads of the same name', { timeout: 90_000 }, () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService();
  });
  afterAll(() => service.close());

  const remove = (directory: string, filename: string) =>
    fetch(`${service.url}/media?directory=${directory}&filename=${filename}`, { method: 'DELETE' });

  it('never serves one version under the ETag of another, and a vanished file is 404, never 500', async () => {
    const url = `${service.url}/media/race/same.mp3`;
    const outcomes: Outcome[] = [];
    expect((await upload(service.url, 'multipart', { directory: 'race', filename: 'same.mp3', bytes: uniqueMp3('v0') })).status).toBe(200);
    for (let round = 1; round <= ROUNDS; round++) {
      // Larger than the in-memory limit on odd rounds: the bytes stream from a file.
      const bytes = Buffer.concat([uniqueMp3(`v${round}`), Buffer.alloc(round % 2 ? 300 * 1024 : 0, round)]);
      const readers = Array.from({ length: READERS }, () => getOnce(url));
      const writer = (async () => {
        await remove('race', 'same.mp3');
        return (await upload(service.url, 'multipart', { directory: 'race', filename: 'same.mp3', bytes })).status;
      })();
      outcomes.push(...(await Promise.all(readers)));
      expect(await writer).toBe(200);
    }
    const counts = count(outcomes);
    expect(counts.consistent).toBeGreaterThan(0);
    expect(Object.keys(counts).filter((outcome) => outcome !== 'consistent' && outcome !== 'not found')).toEqual([]);
  });

  it('lists a directory under churn without a 500, each listed file with its own size and sha256', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `churn-${i}.mp3`);
    const bytesOf = (name: string, generation: number) => uniqueMp3(`${name}-${generation}`);
    const known = new Map<string, Set<string>>();
    const remember = (name: string, bytes: Buffer) =>
      known.set(name, (known.get(name) ?? new Set()).add(`${bytes.length}:${sha256(bytes)}`));
    const statuses: number[] = [];
    let stray = 0;
    // The directory exists from the start: a 404 for it would be right, not a race.
    const kept = uniqueMp3('kept');
    remember('kept.mp3', kept);
    expect((await upload(service.url, 'multipart', { directory: 'churn', filename: 'kept.mp3', bytes: kept })).status).toBe(200);
    for (let round = 0; round < ROUNDS / 2; round++) {
      const writers = names.map(async (name, i) => {
        if ((round + i) % 2) return remove('churn', name);
        const bytes = Buffer.concat([bytesOf(name, round), Buffer.alloc(i % 3 ? 0 : 300 * 1024, i)]);
        remember(name, bytes);
        return upload(service.url, 'multipart', { directory: 'churn', filename: name, bytes });
      });
      const listings = Array.from({ length: 2 * READERS }, async () => {
        const res = await fetch(`${service.url}/media?directory=churn&limit=100`);
        statuses.push(res.status);
        if (res.status !== 200) return;
        const { files } = (await res.json()) as { files: Array<{ filename: string; size: number; sha256: string }> };
        for (const file of files) if (!known.get(file.filename)?.has(`${file.size}:${file.sha256}`)) stray += 1;
      });
      await Promise.all([...writers, ...listings]);
    }
    expect(count(statuses.map(String))).toEqual({ 200: statuses.length });
    expect(stray).toBe(0);
  });
});
