// The public media API (README "Media API"), as this page uses it. Every call resolves to the
// service's own answer `{ code, reason, ... }`, never rejects: in the `legacy` status mode every
// answer is HTTP 200 and only `code` tells the outcome, so the page always reads `code`.

import { RESUMABLE_THRESHOLD, sendResumable } from './resumable.js';
import { authorized } from './token.js';

/** Stands in for an answer when none came: `code` 0 is not in the service's table. */
const UNREACHABLE = { code: 0, reason: 'the service could not be reached' };
export const CANCELLED = { code: 0, reason: 'cancelled', cancelled: true };

/** The download URL of a stored file; each segment percent-encoded, so any name stays one segment. */
export function mediaUrl(directory, filename) {
  return `/media/${[...directory.split('/'), filename].map(encodeURIComponent).join('/')}`;
}

/** The peaks of a stored file (audiowaveform JSON), at most `pixels` wide. */
export function waveformUrl(directory, filename, pixels) {
  return `/waveforms/${[...directory.split('/'), filename].map(encodeURIComponent).join('/')}?pixels=${pixels}`;
}

/** One page of a directory: `directories`, `files`, `nextCursor` (the root holds directories only). */
export function listDirectory(directory, { limit, cursor }) {
  const query = new URLSearchParams({ limit: String(limit) });
  if (directory) query.set('directory', directory);
  if (cursor) query.set('cursor', cursor);
  return authorized((headers) => requestJson('GET', `/media?${query}`, headers), 'read');
}

/** A signed download URL of a stored file, valid `expiresIn` seconds: `{ code, url, expiresAt }`. */
export function signDownload(directory, filename, expiresIn) {
  const body = JSON.stringify({ operation: 'download', directory, filename, expiresIn });
  return authorized(async (headers) => {
    try {
      const response = await fetch('/signed-urls', { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body });
      return answerOf(response.status, await response.text());
    } catch {
      return UNREACHABLE;
    }
  }, 'read');
}

export function deleteFile(directory, filename) {
  const query = new URLSearchParams({ directory, filename });
  return authorized((headers) => requestJson('DELETE', `/media?${query}`, headers), 'write');
}

/** A stored file as a Blob in `blob`, for reads that need a token (an <audio src> cannot send one). */
export function fetchMedia(directory, filename) {
  return authorized(async (headers) => {
    try {
      const response = await fetch(mediaUrl(directory, filename), { headers });
      if (!response.ok) return answerOf(response.status, await response.text());
      return { code: 200, reason: 'OK', blob: await response.blob() };
    } catch {
      return UNREACHABLE;
    }
  }, 'read');
}

/**
 * POST /media with one file, reporting upload progress as a fraction; resolves to that file's own
 * answer. `onTokenNeeded` is called while the page waits for the person to enter a token. Files
 * over RESUMABLE_THRESHOLD go through /uploads instead (resumable.js); `onControl` then receives
 * `{pause, resume}`.
 * XMLHttpRequest, because fetch() has no upload progress events. The File is streamed from disk by
 * the browser, never read into the page, so large files cost the page nothing.
 */
export function uploadFile(directory, file, { onProgress, onTokenNeeded, onControl = () => {}, onRetry = () => {}, signal }) {
  const send = (headers) => {
    if (signal.aborted) return Promise.resolve(CANCELLED);
    onProgress(0);
    if (file.size > RESUMABLE_THRESHOLD) {
      const answerOfFile = (status, text) => fileAnswer(answerOf(status, text));
      return sendResumable(directory, file, headers, { onProgress, signal, onControl, onRetry }, answerOfFile);
    }
    return sendUpload(directory, file, headers, onProgress, signal);
  };
  return authorized(send, 'write', onTokenNeeded);
}

function sendUpload(directory, file, headers, onProgress, signal) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    const finish = (answer) => {
      signal.removeEventListener('abort', abort);
      resolve(answer);
    };
    const abort = () => xhr.abort();
    xhr.open('POST', '/media');
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (progress) => {
      if (progress.lengthComputable) onProgress(progress.loaded / progress.total);
    };
    xhr.onload = () => finish(fileAnswer(answerOf(xhr.status, xhr.responseText)));
    xhr.onerror = () => finish(UNREACHABLE);
    xhr.onabort = () => finish(CANCELLED);
    signal.addEventListener('abort', abort, { once: true });
    const form = new FormData();
    // The directory field goes first; the service would also find it after the file.
    form.append('directory', directory);
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

/** The file's own entry when the service judged it (a request-level refusal such as 401 has none). */
function fileAnswer(answer) {
  const [file] = Array.isArray(answer.files) ? answer.files : [];
  return file && typeof file.code === 'number' ? file : answer;
}

async function requestJson(method, url, headers) {
  try {
    const response = await fetch(url, { method, headers, cache: 'no-store' });
    return answerOf(response.status, await response.text());
  } catch {
    return UNREACHABLE;
  }
}

/** The JSON answer, or a stand-in with the HTTP status when the body is not the service's JSON. */
function answerOf(status, text) {
  try {
    const body = JSON.parse(text);
    if (typeof body?.code === 'number' && typeof body.reason === 'string') return body;
  } catch {
    // Not JSON: something between the page and the service answered (a proxy, a login page).
  }
  return { code: status, reason: `unexpected answer (HTTP ${status})` };
}
