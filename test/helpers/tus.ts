import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import * as tus from 'tus-js-client';
import { fixture } from './media.ts';

/** A valid MP3 of about `bytes` bytes: the fixture's frames repeated (every frame stands alone). */
export function largeMp3(bytes: number): Buffer {
  const tone = fixture('tone.mp3');
  return Buffer.concat(Array.from({ length: Math.ceil(bytes / tone.length) }, () => tone));
}

export interface TusAnswer {
  status: number;
  body: unknown;
  uploadUrl: string;
}

export interface TusOptions {
  directory: string;
  filename: string;
  token?: string;
  chunkSize?: number;
  /** Resume the upload at this URL instead of creating one. */
  uploadUrl?: string;
  /** Called after each chunk; return true to stop (abort) the upload there. */
  stopAfterChunk?: (bytesAccepted: number) => boolean;
}

/**
 * Uploads `bytes` with tus-js-client, as a Node client would. Resolves with the final answer (the
 * publishing's JSON) or, when stopped after a chunk, with the upload URL and status 0.
 */
export function tusUpload(endpoint: string, bytes: Buffer, options: TusOptions): Promise<TusAnswer> {
  return new Promise((resolve, reject) => {
    const upload: tus.Upload = new tus.Upload(bytes, {
      endpoint: `${endpoint}/uploads`,
      uploadUrl: options.uploadUrl,
      // tus-js-client takes an explicit undefined as the size and never sends a byte.
      chunkSize: options.chunkSize ?? Infinity,
      retryDelays: null,
      metadata: { directory: options.directory, filename: options.filename },
      headers: options.token ? { Authorization: `Bearer ${options.token}` } : {},
      onChunkComplete: (_size, accepted) => {
        if (options.stopAfterChunk?.(accepted) && accepted < bytes.length) {
          void upload.abort().then(() => resolve({ status: 0, body: undefined, uploadUrl: upload.url! }), reject);
        }
      },
      onSuccess: ({ lastResponse }) => {
        const text = lastResponse.getBody();
        resolve({ status: lastResponse.getStatus(), body: text ? JSON.parse(text) : undefined, uploadUrl: upload.url! });
      },
      onError: reject,
    });
    upload.start();
  });
}

/** `Upload-Checksum` for a chunk. */
export function checksumHeader(algorithm: 'sha1' | 'sha256', bytes: Uint8Array): string {
  return `${algorithm} ${createHash(algorithm).update(bytes).digest('base64')}`;
}

/** Files of resumable uploads still kept (records, bytes, locks) under a storage root. */
export async function resumableLeftovers(root: string): Promise<string[]> {
  return (await readdir(path.join(root, '.resumable')).catch(() => [] as string[])).sort();
}

export const TUS_HEADERS = { 'Tus-Resumable': '1.0.0' };

/** The tus metadata header for a target. */
export function uploadMetadata(directory: string, filename: string): string {
  const b64 = (value: string) => Buffer.from(value).toString('base64');
  return `directory ${b64(directory)},filename ${b64(filename)}`;
}

/** tus creation (POST /uploads) of `length` bytes for `directory/filename`, with `headers` added (a token). */
export function createUpload(
  url: string,
  directory: string,
  filename: string,
  length: number,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${url}/uploads`, {
    method: 'POST',
    headers: { ...TUS_HEADERS, ...headers, 'Upload-Length': String(length), 'Upload-Metadata': uploadMetadata(directory, filename) },
  });
}

/** A PATCH of `chunk` at `offset` to the upload at `location`, with `headers` added (a token, an Upload-Checksum). */
export function patchUpload(
  url: string,
  location: string,
  offset: number,
  chunk: Buffer,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${url}${location}`, {
    method: 'PATCH',
    headers: { ...TUS_HEADERS, ...headers, 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': String(offset) },
    body: new Uint8Array(chunk),
  });
}

/** HEAD of the upload at `location`: its offset, or 404/410. */
export function headUpload(url: string, location: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}${location}`, { method: 'HEAD', headers: { ...TUS_HEADERS, ...headers } });
}

/**
 * A PATCH whose body the test writes itself, so that it can stop part-way or drop the connection:
 * its head declares `length` bytes at `offset`.
 */
export function openPatch(
  url: string,
  { offset = 0, length, headers = {} }: { offset?: number; length: number; headers?: Record<string, string> },
): http.ClientRequest {
  return http.request(url, {
    method: 'PATCH',
    headers: {
      ...TUS_HEADERS,
      ...headers,
      'Content-Type': 'application/offset+octet-stream',
      'Upload-Offset': String(offset),
      'Content-Length': String(length),
    },
  });
}
