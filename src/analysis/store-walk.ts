import type { ByteStore, StoredObject } from '../storage/byte-store.ts';

const PAGE = 500;

/** Every object of the store, directory by directory, a page at a time. */
export async function* walkStore(store: ByteStore, directory = ''): AsyncGenerator<StoredObject> {
  let after: string | undefined;
  let subdirectories: string[] = [];
  do {
    const page = await store.list(directory, { limit: PAGE, after });
    if (!page) return;
    yield* page.objects;
    subdirectories = page.directories;
    after = page.nextAfter;
  } while (after !== undefined);
  for (const name of subdirectories) yield* walkStore(store, directory === '' ? name : `${directory}/${name}`);
}
