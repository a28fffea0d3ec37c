import path from 'node:path';
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { MetadataIndex } from '../../src/storage/local/metadata-index.ts';
import { tempRoot } from '../helpers/app.ts';

const RECORD = { ino: 7, size: 100, mtimeMs: 1.5, sha256: 'ab'.repeat(32), attributes: { contentType: 'audio/mpeg' } };

describe('metadata index: a file record and rows of other tables in one transaction', () => {
  const opened: Array<{ index: MetadataIndex; root: string }> = [];
  afterEach(async () => {
    for (const { index, root } of opened.splice(0)) {
      await index.close();
      await rm(root, { recursive: true, force: true });
    }
  });
  async function openIndex(): Promise<{ index: MetadataIndex; file: string }> {
    const root = await tempRoot('index-tx-');
    const file = path.join(root, 'metadata.sqlite');
    const index = MetadataIndex.open(file);
    opened.push({ index, root });
    return { index, file };
  }

  it('commits a file record with an event row, numbered after the last, and both survive a reopen', async () => {
    const { index, file } = await openIndex();
    for (const name of ['one.mp3', 'two.mp3']) {
      const committed = await index.atomically((tx) => {
        tx.putFile('songs', name, RECORD);
        tx.put('events', Number(tx.lastKey('events') ?? 0) + 1, { type: 'media.stored', name });
      });
      expect(committed).toBe(true);
    }
    const again = MetadataIndex.open(file);
    expect(again.file('songs', 'two.mp3')).toEqual(RECORD);
    expect(again.entries('events', undefined, 10)).toEqual([
      { key: 1, value: { type: 'media.stored', name: 'one.mp3' } },
      { key: 2, value: { type: 'media.stored', name: 'two.mp3' } },
    ]);
    expect(again.entries('events', 1, 10).map(({ key }) => key)).toEqual([2]);
    expect(again.entry('events', 2)).toEqual({ type: 'media.stored', name: 'two.mp3' });
    await again.close();
  });

  it('keeps neither when the transaction throws: the file record and the event row go together or not at all', async () => {
    const { index } = await openIndex();
    const committed = await index.atomically((tx) => {
      tx.putFile('songs', 'half.mp3', RECORD);
      tx.put('events', 1, { type: 'media.stored' });
      throw new Error('the event could not be formed');
    });
    expect(committed).toBe(false);
    expect(index.file('songs', 'half.mp3')).toBeUndefined();
    expect(index.entries('events', undefined, 10)).toEqual([]);
    // The index is not damaged by a refused transaction: the next one commits.
    expect(await index.atomically((tx) => tx.removeFile('songs', 'half.mp3'))).toBe(true);
    expect(index.damaged).toBe(false);
  });

  it('undoes only the write that throws when several are asked for at once, and commits the others', async () => {
    const { index, file } = await openIndex();
    const asked = ['a.mp3', 'b.mp3', 'c.mp3'].map((name) =>
      index.atomically((tx) => {
        tx.putFile('songs', name, RECORD);
        if (name === 'b.mp3') throw new Error('this one could not be formed');
      }),
    );
    expect(await Promise.all(asked)).toEqual([true, false, true]);
    const again = MetadataIndex.open(file);
    expect(again.names('songs').sort()).toEqual(['a.mp3', 'c.mp3']);
    await again.close();
    expect(index.damaged).toBe(false);
  });
});
