import { ListObjectsV2Command, type ListObjectsV2CommandOutput, type S3Client } from '@aws-sdk/client-s3';
import type { ListOptions, ObjectPage, StoredObject } from '../byte-store.ts';
import { mapBounded } from './bounded.ts';
import type { ObjectDescriber } from './object-describer.ts';
import { ObjectKeys } from './object-keys.ts';
import type { SubdirectoryCache } from './subdirectory-cache.ts';

/** HeadObject calls in flight for one page (objects this process has not described yet). */
export const LIST_HEAD_CONCURRENCY = 16;
const MAX_KEYS = 1000;

interface Listed {
  key: string;
  name: string;
  version: string;
  size: number;
  modified: Date;
}

/** What a listing needs of the store. */
export interface ListingContext {
  client: S3Client;
  describer: ObjectDescriber;
  keys: ObjectKeys;
  bucket: string;
  subdirectories: SubdirectoryCache;
  deadline: () => AbortSignal;
}

/**
 * One page of a directory: ListObjectsV2 with the directory's prefix, Delimiter '/' and its
 * continuation, from the name after `after`. S3 lists no user metadata, so the page's objects
 * are described by HeadObject, at most LIST_HEAD_CONCURRENCY at a time, except those this
 * process already knows by key and ETag. The subdirectories (all of them, on every page) come
 * from the same answer when it covers the whole directory, else from the SubdirectoryCache, else
 * from a listing of the directory to its end (one request per 1,000 entries, in parallel with the
 * HEADs) that the cache then keeps for the pages that follow: a page costs its own listing and
 * HEADs, a walk one scan per cache period. A directory exists while some key is under it (S3 has
 * no empty directories).
 */
export async function listDirectory(
  { client, describer, keys, bucket, subdirectories, deadline }: ListingContext,
  directory: string,
  { limit, after }: ListOptions,
): Promise<ObjectPage | undefined> {
  const Prefix = keys.directoryPrefix(directory);
  const send = (input: { StartAfter?: string; ContinuationToken?: string; MaxKeys: number }) =>
    client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix, Delimiter: '/', ...input }), { abortSignal: deadline() });
  const scanned = (first?: ListObjectsV2CommandOutput) =>
    allDirectories(send, Prefix, first).then((names) => {
      subdirectories.set(Prefix, names);
      return names;
    });

  // A later page needs the directory listed from its start for the subdirectories, unless known:
  // that scan runs beside the page's own listing and HEADs, not before them.
  const known = subdirectories.get(Prefix);
  const scan = after === undefined || known !== undefined ? undefined : scanned();
  scan?.catch(() => undefined); // awaited below; not an unhandled rejection while the page is listed
  const first = await send({ StartAfter: after === undefined ? undefined : `${Prefix}${after}`, MaxKeys: Math.min(MAX_KEYS, limit + 101) });
  const listed = await collectObjects(send, Prefix, first, limit + 1);
  const shown = listed.slice(0, limit);
  const wholeDirectory = after === undefined && first.IsTruncated !== true;
  const [objects, directories] = await Promise.all([
    mapBounded(shown, LIST_HEAD_CONCURRENCY, (item) => describe(describer, directory, item)),
    wholeDirectory ? remembered(subdirectories, Prefix, namesOf(Prefix, first.CommonPrefixes)) : (known ?? scan ?? scanned(first)),
  ]);
  if (directory !== '' && shown.length === 0 && directories.length === 0 && !(await hasAnyKey(send))) return undefined;
  return {
    objects: objects.filter((object): object is StoredObject => object !== undefined),
    directories,
    nextAfter: listed.length > limit ? shown.at(-1)!.name : undefined,
  };
}

function remembered(subdirectories: SubdirectoryCache, prefix: string, names: string[]): string[] {
  subdirectories.set(prefix, names);
  return names;
}

type Send = (input: { StartAfter?: string; ContinuationToken?: string; MaxKeys: number }) => Promise<ListObjectsV2CommandOutput>;

/** Objects from the first answer on, following its continuation until `wanted` are found or the directory ends. */
async function collectObjects(send: Send, prefix: string, first: ListObjectsV2CommandOutput, wanted: number): Promise<Listed[]> {
  const found: Listed[] = [];
  for (let answer = first; ; answer = await send({ ContinuationToken: answer.NextContinuationToken, MaxKeys: MAX_KEYS })) {
    for (const item of answer.Contents ?? []) {
      const name = item.Key === undefined ? undefined : ObjectKeys.childName(prefix, item.Key);
      if (name === undefined || item.Key!.endsWith('/')) continue;
      found.push({
        key: item.Key!,
        name,
        version: (item.ETag ?? '').replace(/^"|"$/g, ''),
        size: item.Size ?? 0,
        modified: item.LastModified ?? new Date(0),
      });
    }
    if (found.length >= wanted || answer.IsTruncated !== true) return found.slice(0, wanted);
  }
}

/** Every subdirectory, listing the directory to its end (from `first`, an answer from its start, when given). */
async function allDirectories(send: Send, prefix: string, first?: ListObjectsV2CommandOutput): Promise<string[]> {
  const names: string[] = [];
  let answer = first ?? (await send({ MaxKeys: MAX_KEYS }));
  for (;;) {
    names.push(...namesOf(prefix, answer.CommonPrefixes));
    if (answer.IsTruncated !== true) return names;
    answer = await send({ ContinuationToken: answer.NextContinuationToken, MaxKeys: MAX_KEYS });
  }
}

function namesOf(prefix: string, common: Array<{ Prefix?: string }> | undefined): string[] {
  return (common ?? []).flatMap(({ Prefix }) => {
    const name = Prefix === undefined ? undefined : ObjectKeys.childName(prefix, Prefix);
    return name === undefined ? [] : [name];
  });
}

/** Any key at all under the directory (a page past its last name is empty, the directory is not). */
async function hasAnyKey(send: Send): Promise<boolean> {
  const answer = await send({ MaxKeys: 1 });
  return (answer.KeyCount ?? 0) > 0;
}

async function describe(describer: ObjectDescriber, directory: string, item: Listed): Promise<StoredObject | undefined> {
  const key = { directory, name: item.name };
  const known = describer.recall(item.key, item.version);
  if (known)
    return {
      key,
      size: item.size,
      sha256: known.sha256,
      modified: item.modified,
      version: item.version,
      ...(known.attributes === undefined ? {} : { attributes: known.attributes }),
    };
  const found = await describer.head(item.key);
  if (!found) return undefined;
  return {
    key,
    size: found.size,
    sha256: found.sha256,
    modified: found.modified,
    version: found.version,
    ...(found.attributes === undefined ? {} : { attributes: found.attributes }),
  };
}
