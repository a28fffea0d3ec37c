import { AsyncLocalStorage } from 'node:async_hooks';
import type { ChunkChecksum } from './checksum-header.ts';

/**
 * What a store needs to know of the request being handled: @tus/server hands it only the body
 * stream and the upload's id, so the route opens this context around each request.
 */
export interface TusRequestContext {
  checksum?: ChunkChecksum;
  /**
   * The request's Content-Length: the bytes its body declares (absent for a chunked body). A store
   * may send the whole parts it covers on as they arrive, knowing they will come whole unless the
   * request is cut short.
   */
  contentLength?: number;
  /**
   * The upload's record as the store last read or wrote it in this request, so a PATCH reads it
   * once: @tus/server asks for the upload (under its lock) and then writes to it, and
   * creation-with-upload asks once more after the upload was published and its record removed.
   * Its shape is the store's.
   */
  record?: { id: string };
  /** The upload this request created (POST): a creation that fails leaves nothing behind. */
  created?: string;
  /**
   * The upload whose body the service refused while it streamed in, and why: @tus/server reports
   * a body cut short by the service as an abort (400), and answers before the store's write has
   * unwound, so the answer takes this error and drops the upload first.
   */
  refusal?: { id: string; error: Error };
}

export const tusRequest = new AsyncLocalStorage<TusRequestContext>();

/** The record of `id` this request already holds, or the one `read` finds (then held). */
export async function recordInRequest<R extends { id: string }>(id: string, read: () => Promise<R | undefined>): Promise<R | undefined> {
  const context = tusRequest.getStore();
  if (context?.record?.id === id) return context.record as R;
  const record = await read();
  if (context && record) context.record = record;
  return record;
}

/** The record this request just wrote. */
export function holdRecord(record: { id: string }): void {
  const context = tusRequest.getStore();
  if (context) context.record = record;
}

/** The body length the request being handled declared, if any. */
export function declaredLength(): number | undefined {
  return tusRequest.getStore()?.contentLength;
}
