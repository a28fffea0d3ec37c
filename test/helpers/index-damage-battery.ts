/**
 * Runs as its own process (argv: damage kind, rounds): in each round, a filled metadata index is
 * damaged while open and read, then damaged while closed and opened again (a restart), through the
 * real IndexKeeper. Prints one JSON line per round; a crash of SQLite would end the process instead.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { IndexKeeper, INDEX_FILE } from '../../src/storage/local/index-keeper.ts';

const [kind, rounds] = process.argv.slice(2) as [string, string];
const PAGE_BYTES = 4096;

async function damage(file: string): Promise<void> {
  const size = (await stat(file)).size;
  const handle = await open(file, 'r+');
  if (kind === 'garbage') await handle.write(randomBytes(size - 2 * PAGE_BYTES), 0, size - 2 * PAGE_BYTES, 2 * PAGE_BYTES);
  if (kind === 'random') await handle.write(randomBytes(size), 0, size, 0);
  if (kind === 'cut') await handle.truncate(Math.floor(size / 2 / PAGE_BYTES) * PAGE_BYTES);
  await handle.sync();
  await handle.close();
}

async function fill(keeper: IndexKeeper): Promise<void> {
  for (const directory of ['a', 'b', 'c'])
    for (let i = 0; i < 70; i++) {
      const attributes = { contentType: 'audio/mpeg', metadata: { title: `title ${i}`.repeat(4) } };
      await keeper.index.putFile(directory, `f${i}.mp3`, { ino: i, size: 1000 + i, mtimeMs: 1.5 + i, sha256: 'ab'.repeat(32), attributes });
    }
}

/** Every read the store makes, over every entry. */
function readAll(keeper: IndexKeeper): number {
  let found = 0;
  for (const directory of ['a', 'b', 'c']) {
    found += keeper.index.page(directory, undefined, 1000)?.length ?? 0;
    keeper.index.directory(directory);
    for (let i = 0; i < 70; i++) if (keeper.index.file(directory, `f${i}.mp3`)) found++;
  }
  return found;
}

for (let round = 0; round < Number(rounds); round++) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'index-battery-'));
  const directory = path.join(root, '.index');
  const damaged: string[] = [];
  const errors: string[] = [];
  const events = {
    onIndexDamaged: (problem: string) => damaged.push(problem),
    onIndexError: (error: unknown) => errors.push(String(error)),
  };
  let keeper = await IndexKeeper.open(directory, events);
  await fill(keeper);
  await keeper.close();
  keeper = await IndexKeeper.open(directory, events);
  const before = readAll(keeper);
  await damage(path.join(directory, INDEX_FILE));
  readAll(keeper);
  await keeper.settled();
  const whileRunning = damaged.length;
  await fill(keeper);
  const afterHeal = readAll(keeper);
  await keeper.close();
  await damage(path.join(directory, INDEX_FILE));
  keeper = await IndexKeeper.open(directory, events);
  await fill(keeper);
  const afterRestart = readAll(keeper);
  await keeper.close();
  console.log(JSON.stringify({ round, before, whileRunning, afterHeal, atRestart: damaged.length - whileRunning, afterRestart, errors }));
  await rm(root, { recursive: true, force: true });
}
