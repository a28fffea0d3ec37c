import { ERRORS } from '@tus/utils';
import { AppError, CODES, type CodeName } from '../../errors.ts';
import { isPending, type CompletionAnswer, type UploadRecord } from './upload-records.ts';

/**
 * The record a request may answer from: a pending upload (every byte in, the publish not decided,
 * e.g. after a crash) is completed first by `completePending` under the lock the caller holds, so
 * HEAD and PATCH never report an upload complete whose file is not stored. A refused upload
 * answers its refusal.
 */
export async function settledRecord<R extends UploadRecord>(
  record: R,
  reread: () => Promise<R | undefined>,
  completePending: ((id: string) => Promise<unknown>) | undefined,
): Promise<R> {
  let settled = record;
  if (isPending(record) && completePending) {
    await completePending(record.id);
    const fresh = await reread();
    if (!fresh) throw ERRORS.FILE_NOT_FOUND;
    settled = fresh;
  }
  if (settled.outcome && settled.outcome.status >= 300) throw refusalOf(settled.outcome);
  return settled;
}

/**
 * tus termination of an upload: one whose publish may have begun is completed first; one whose
 * file is stored is refused (a 204 would say nothing is kept). Answers the record to remove.
 */
export async function removableRecord<R extends UploadRecord>(
  record: R,
  reread: () => Promise<R | undefined>,
  completePending: ((id: string) => Promise<unknown>) | undefined,
): Promise<R | undefined> {
  let current: R | undefined = record;
  if (record.completing && isPending(record) && completePending) {
    await completePending(record.id).catch(() => undefined);
    current = await reread();
  }
  if (current?.outcome?.status === 200) {
    throw new AppError(
      'INVALID_ARGUMENT',
      'invalid argument: the upload is complete and its file stored; DELETE /media/<path> removes the file',
    );
  }
  return current;
}

/** The refusal a decided upload answers again. */
export function refusalOf(outcome: CompletionAnswer): AppError {
  const codeName = (Object.keys(CODES) as CodeName[]).find(
    (name) => CODES[name].code === outcome.code && CODES[name].status === outcome.status,
  );
  const reason = (outcome.body as { reason?: string } | undefined)?.reason;
  return new AppError(codeName ?? 'UNKNOWN', reason);
}
