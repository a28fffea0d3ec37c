import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { EVENT_LOG_FILE } from '../src/events/event-log-keeper.ts';
import { LocalEventLog } from '../src/events/local-event-log.ts';
import { WalSync } from '../src/events/wal-sync.ts';
import { thisProcess } from '../src/lockers/process-identity.ts';
import { tempRoot } from './helpers/app.ts';

const roots: string[] = [];
afterAll(() => Promise.all(roots.map((root) => rm(root, { recursive: true, force: true }))));

describe('the local event log file', () => {
  it('keeps an instance name made of digits as written (no numeric column affinity turns it into a number)', async () => {
    const root = await tempRoot('events-file-');
    roots.push(root);
    const directory = path.join(root, '.events');
    await mkdir(directory);
    // Opened once to create its tables, then given the instance name a random draw may give (about 1 in 40 draws is all digits).
    await (await LocalEventLog.open(directory)).close();
    const db = new DatabaseSync(path.join(directory, EVENT_LOG_FILE));
    db.prepare("UPDATE meta SET value = ? WHERE key = 'instance'").run('00012345');
    db.close();

    const log = await LocalEventLog.open(directory);
    const intent = await log.intend({
      type: 'media.deleted',
      data: { directory: 'd', filename: 'a.mp3', keyId: null },
      owner: thisProcess(),
      at: Date.now(),
    });
    const { event } = await log.confirm(
      intent,
      { type: 'media.deleted', timestamp: new Date().toISOString(), data: { directory: 'd', filename: 'a.mp3', keyId: null } },
      [],
    );
    expect(event.id).toBe('evt_00012345_1');
    expect(await log.event(event.id)).toEqual(event);
    expect(await log.latestId()).toBe(event.id);
    await log.close();
  });

  it('syncs the WAL for every caller, many at once sharing syncs, and reports a sync that failed', async () => {
    const root = await tempRoot('events-file-');
    roots.push(root);
    const file = path.join(root, 'log.sqlite');
    const db = new DatabaseSync(file);
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; CREATE TABLE t (n INTEGER)');
    const wal = new WalSync(`${file}-wal`);
    const syncs: Array<Promise<void>> = [];
    for (let n = 0; n < 50; n++) {
      db.prepare('INSERT INTO t VALUES (?)').run(n);
      syncs.push(wal.sync());
    }
    await Promise.all(syncs);
    await wal.close();
    db.close();
    await expect(new WalSync(path.join(root, 'missing', 'x-wal')).sync()).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
