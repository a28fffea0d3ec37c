import { pipeline, Transform, type Readable } from 'node:stream';
import type { Upload } from '@tus/utils';
import { AppError } from '../../errors.ts';
import type { ContentInspector } from '../../media/content-inspector.ts';
import { FIRST_BYTES } from '../../media/judged-start.ts';
import { extensionOf } from '../../filename-extension.ts';
import { tusRequest } from '../tus/request-context.ts';
import type { ResumableDataStore } from '../tus/resumable-data-store.ts';
import { uploadOf } from '../records/upload-records.ts';

/**
 * Makes `store` judge the content of an upload as soon as its first bytes arrived, by the content
 * rule of POST /media, instead of once the whole file is in: a 300 MiB file that is not audio is
 * refused (415, code 504) after its first 64 KiB, and the upload is dropped, since no later
 * chunk can change its start. Judged only in a chunk that starts at offset 0 and reaches FIRST_BYTES
 * (a smaller upload, or one whose first chunk is smaller, is judged whole when its last byte arrives),
 * and, for an upload a store sends in place (never judged whole), before its first part is sent.
 */
export function judgeFirstBytes(store: ResumableDataStore, inspector: ContentInspector): void {
  // A store sending the file where it stays judges its start before the first part, whatever the chunks.
  store.judgeStart = (start, record) =>
    judge(inspector, start, uploadOf(record)).catch((error: AppError) => {
      const context = tusRequest.getStore();
      if (context) context.refusal = { id: record.id, error };
      throw error;
    });
  const write = store.write.bind(store);
  store.write = async (stream, id, offset) => {
    if (offset !== 0) return write(stream, id, offset);
    const upload = await store.getUpload(id);
    if ((upload.size ?? 0) <= FIRST_BYTES) return write(stream, id, offset);
    let refused: AppError | undefined;
    const judged = (bytes: Buffer) =>
      judge(inspector, bytes, upload).catch((error: AppError) => {
        refused = error;
        const context = tusRequest.getStore();
        if (context) context.refusal = { id, error };
        throw error;
      });
    try {
      return await write(judgedOnTheWay(stream, judged), id, offset);
    } catch (error) {
      if (!refused) throw error;
      await store.forget(id);
      throw refused;
    }
  };
}

async function judge(inspector: ContentInspector, bytes: Buffer, upload: Upload): Promise<void> {
  const inspection = await inspector.judgeFirstBytes(bytes, extensionOf(upload.metadata?.filename ?? ''));
  if (!inspection.ok) throw new AppError('FORMAT_NOT_SUPPORTED', `format not supported: ${inspection.problem}`);
}

/**
 * `source` passed on as it arrives, while its first FIRST_BYTES are judged beside it: the body
 * keeps flowing (a slow verdict never stalls the client into a timeout), and a refusal ends the
 * stream with its error at once, even while the client sends nothing more. The store drops what
 * it wrote of a stream that failed.
 */
function judgedOnTheWay(source: Readable, judge: (bytes: Buffer) => Promise<void>): Readable {
  let held: Buffer[] = [];
  let heldBytes = 0;
  let verdict: Promise<boolean> | undefined;
  const judged = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (!verdict) {
        // A copy: the chunk itself is freed once written, maybe before the first bytes are all here.
        held.push(Buffer.from(chunk));
        heldBytes += chunk.length;
        if (heldBytes >= FIRST_BYTES) {
          const first = Buffer.concat(held, heldBytes).subarray(0, FIRST_BYTES);
          held = [];
          verdict = judge(first).then(
            () => true,
            (error: Error) => {
              judged.destroy(error);
              return false;
            },
          );
        }
      }
      done(null, chunk);
    },
    // A first chunk shorter than FIRST_BYTES: its bytes count, the whole file is judged at the end.
    flush(done) {
      void (verdict ?? Promise.resolve(true)).then((accepted) => accepted && done());
    },
  });
  pipeline(source, judged, () => undefined);
  return judged;
}
