/**
 * CPU per metadata index lookup, as a download pays it (one `file()` per GET) and as a listing
 * page pays it (one `page()` of 100), against the LMDB index this replaced (issue 29): its get
 * plus the fstat it made before each read to catch a file cut short. Usage:
 *   node --import tsx test/bench/index-lookup.ts [entries=20000] [rounds=7]
 * Rounds alternate the candidates; the median of the rounds is printed, in ns of this process's
 * CPU time (user + system) per call, which a loaded machine disturbs less than wall-clock time.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { open } from 'lmdb';
import { MetadataIndex, type FileRecord } from '../../src/storage/local/metadata-index.ts';
import { tempRoot } from '../helpers/app.ts';

const entries = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 7);
const CALLS = 50_000;
const record = (i: number): FileRecord => ({
  ino: 1_000_000 + i,
  size: 65_536 + i,
  mtimeMs: 1_796_540_000_000.123 + i,
  sha256: createHash('sha256').update(String(i)).digest('hex'),
  attributes: { contentType: 'audio/mpeg', metadata: { durationSeconds: 181.2, bitrate: 128_000, title: `Song ${i}` } },
});
const name = (i: number) => `song-${String(i).padStart(6, '0')}.mp3`;

const root = await tempRoot('index-lookup-');
const sqlite = MetadataIndex.open(path.join(root, 'metadata.sqlite'));
await sqlite.atomically((tx) => {
  for (let i = 0; i < entries; i++) tx.putFile('songs', name(i), record(i));
});
const lmdbFile = path.join(root, 'metadata.mdb');
const lmdb = open({ path: lmdbFile, maxDbs: 4 });
const files = lmdb.openDB<FileRecord, [string, string]>({ name: 'files' });
const digest = createHash('sha256').update('songs').digest('hex').slice(0, 32);
lmdb.transactionSync(() => {
  for (let i = 0; i < entries; i++) void files.put([digest, name(i)], record(i));
});
const lmdbFd = fs.openSync(lmdbFile, 'r');

// Spread over the whole key range, as downloads of a large library are.
const order = Array.from({ length: CALLS }, (_, i) => (i * 7919) % entries);
const candidates: Record<string, () => unknown> = {
  'sqlite file()': () => order.map((i) => sqlite.file('songs', name(i))),
  'lmdb get + fstat (before)': () =>
    order.map((i) => {
      fs.fstatSync(lmdbFd);
      return files.get([digest, name(i)]);
    }),
  'sqlite page() of 100 (per call)': () => order.slice(0, CALLS / 100).map((i) => sqlite.page('songs', name(i), 100)),
  'lmdb range of 100 + fstat (before, per call)': () =>
    order.slice(0, CALLS / 100).map((i) => {
      fs.fstatSync(lmdbFd);
      const end = [`${digest}\u0000`] as unknown as [string, string];
      return [...files.getRange({ start: [digest, name(i)], end, limit: 101 })];
    }),
};
const perCall: Record<string, number[]> = {};
for (let round = 0; round <= rounds; round++) {
  for (const [label, run] of Object.entries(candidates)) {
    const calls = label.includes('100') ? CALLS / 100 : CALLS;
    const start = process.cpuUsage();
    run();
    const { user, system } = process.cpuUsage(start);
    // Round 0 warms up (JIT, page cache) and is not counted.
    if (round > 0) (perCall[label] ??= []).push(((user + system) * 1000) / calls);
  }
}
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
for (const [label, values] of Object.entries(perCall))
  console.log(`${label}: median ${median(values).toFixed(0)} ns CPU per call (rounds: ${values.map((v) => v.toFixed(0)).join(' ')})`);
console.log(`entries ${entries}, loadavg ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
await sqlite.close();
await lmdb.close();
fs.closeSync(lmdbFd);
await rm(root, { recursive: true, force: true });
