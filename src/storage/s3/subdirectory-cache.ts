/** How long a directory's subdirectory names, found by listing it to its end, serve later pages. */
export const SUBDIRECTORIES_TTL_MS = 30_000;
/** Directories whose subdirectory names are kept at once (the oldest goes first). */
const MAX_DIRECTORIES = 1000;

/**
 * Every listing page names all subdirectories, and on S3 finding them means listing the directory
 * to its end (one request per 1,000 entries): done for every page, a walk costs the square of the
 * directory's size. The names found are kept per directory for a while and serve the pages that
 * follow; this process's own commits and deletes drop the entries of the directories they touch,
 * other hosts' changes show within SUBDIRECTORIES_TTL_MS.
 */
export class SubdirectoryCache {
  private readonly entries = new Map<string, { names: string[]; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  get(prefix: string): string[] | undefined {
    const entry = this.entries.get(prefix);
    if (entry === undefined || this.now() - entry.at > SUBDIRECTORIES_TTL_MS) return undefined;
    return entry.names;
  }

  set(prefix: string, names: string[]): void {
    this.entries.delete(prefix);
    if (this.entries.size >= MAX_DIRECTORIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(prefix, { names, at: this.now() });
  }

  /** A key was added or removed: every directory above it may have gained or lost a subdirectory. */
  touched(key: string): void {
    for (let slash = key.indexOf('/'); slash !== -1; slash = key.indexOf('/', slash + 1)) this.entries.delete(key.slice(0, slash + 1));
    this.entries.delete('');
  }
}
