import type { ByteStore } from '../../src/storage/byte-store.ts';

const PAGE = 1000;

/**
 * Every file the store holds, as `directory/name` paths, walked through its own listing: the
 * same on every backend, and blind to the store's private areas (staging, index) as the API is.
 */
export async function storedFiles(store: ByteStore, directory = ''): Promise<string[]> {
  const files: string[] = [];
  let directories: string[] = [];
  let after: string | undefined;
  do {
    const page = await store.list(directory, { limit: PAGE, after });
    if (!page) return files;
    files.push(...page.objects.map((object) => joined(directory, object.key.name)));
    directories = page.directories;
    after = page.nextAfter;
  } while (after !== undefined);
  for (const sub of directories) files.push(...(await storedFiles(store, joined(directory, sub))));
  return files;
}

/** The directories at the top of the store (a backend with real directories may hold empty ones). */
export async function topDirectories(store: ByteStore): Promise<string[]> {
  return (await store.list('', { limit: 1 }))?.directories ?? [];
}

/** A stored file's bytes as GET /media serves them; undefined for a 404. */
export async function downloaded(url: string, directory: string, filename: string): Promise<Buffer | undefined> {
  const segments = [...directory.split('/'), filename].map(encodeURIComponent).join('/');
  const res = await fetch(`${url}/media/${segments}`);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET /media/${segments} answered ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

function joined(directory: string, name: string): string {
  return directory === '' ? name : `${directory}/${name}`;
}
