import { rm } from 'node:fs/promises';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { EVENT_LOG_FILE, EventLogKeeper } from '../src/events/event-log-keeper.ts';
import type { EventLogDatabase } from '../src/events/event-log-database.ts';
import { eventLogGroup } from '../src/events/local-event-log.ts';
import { tempRoot } from './helpers/app.ts';

const roots: string[] = [];
afterAll(() => Promise.all(roots.map((root) => rm(root, { recursive: true, force: true }))));

async function openKeeper(): Promise<{ keeper: EventLogKeeper; intents: () => string[] }> {
  const root = await tempRoot('events-group-');
  roots.push(root);
  const directory = path.join(root, '.events');
  const keeper = EventLogKeeper.open(directory, {});
  // Read by another connection, as another process of the host would: only what was committed.
  const intents = () => {
    const db = new DatabaseSync(path.join(directory, EVENT_LOG_FILE), { readOnly: true });
    try {
      return db
        .prepare('SELECT id FROM intents ORDER BY id')
        .all()
        .map((row) => String(row.id));
    } finally {
      db.close();
    }
  };
  return { keeper, intents };
}

const insert = (id: string) => (db: EventLogDatabase) => db.run('INSERT INTO intents VALUES (?, ?)', id, '{}');

describe('group commit of the event log', () => {
  it('commits the writes of one turn together; one that throws is undone and rejected alone', async () => {
    const { keeper, intents } = await openKeeper();
    const group = eventLogGroup(keeper);
    const refusal = new Error('refused after its first row');
    const first = group.add(insert('a'));
    const failing = group.add((db) => {
      insert('b')(db);
      throw refusal;
    });
    const third = group.add((db) => insert('c')(db).changes);
    // Nothing is written before the turn ends.
    expect(intents()).toEqual([]);
    await expect(failing).rejects.toBe(refusal);
    await first;
    expect(await third).toBe(1);
    expect(intents()).toEqual(['a', 'c']);
    keeper.close();
  });

  it('rejects alone a write that breaks a constraint; the rest of its group commits', async () => {
    const { keeper, intents } = await openKeeper();
    const group = eventLogGroup(keeper);
    await group.add(insert('a'));
    // A second row with the same key fails inside its savepoint: only that write is rejected.
    const twice = group.add(insert('a'));
    const other = group.add(insert('b'));
    await expect(twice).rejects.toThrow(/UNIQUE/);
    await other;
    expect(intents()).toEqual(['a', 'b']);
    keeper.close();
  });

  it('settle() commits what waits at once, so a log closed right after loses none of it', async () => {
    const { keeper, intents } = await openKeeper();
    const group = eventLogGroup(keeper);
    const waiting = group.add(insert('late'));
    await group.settle();
    keeper.close();
    await waiting;
    expect(intents()).toEqual(['late']);
  });
});
