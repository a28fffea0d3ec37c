import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { waitFor } from './wait.ts';

/** A file's `metadata` as the listing of its directory gives it. */
export async function listedMetadata(url: string, directory: string, filename: string, headers: Record<string, string> = {}) {
  const listing = await request(url).get('/media').query({ directory }).set(headers);
  const file = (listing.body.files as Array<{ filename: string; metadata: Record<string, unknown> | null }>).find(
    (entry) => entry.filename === filename,
  );
  return file?.metadata ?? undefined;
}

/** Waits until the listing shows the file's analysis finished (done or failed); answers its metadata. */
export async function analysisFinished(
  url: string,
  directory: string,
  filename: string,
  timeoutMs = 20_000,
  headers: Record<string, string> = {},
) {
  let metadata: Record<string, unknown> | undefined;
  await waitFor(
    `analysis of ${directory}/${filename}`,
    async () => {
      metadata = await listedMetadata(url, directory, filename, headers);
      return metadata?.analysis === 'done' || metadata?.analysis === 'failed';
    },
    timeoutMs,
    100,
  );
  return metadata!;
}

/** The analysis results of one file in a local root's private area (its record and its peaks). */
export async function resultFilesOf(root: string, directory: string, filename: string): Promise<string[]> {
  const name = createHash('sha256').update(`${directory}\0${filename}`).digest('hex');
  return (await resultFiles(root)).filter((file) => file.startsWith(name)).map((file) => path.join(root, '.analysis', file));
}

/** The analysis results kept in a local root's private area. */
export async function resultFiles(root: string): Promise<string[]> {
  return (await readdir(path.join(root, '.analysis')).catch(() => [])).sort();
}
