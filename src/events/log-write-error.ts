import { insufficientStorage, noSpaceCode } from '../storage/no-space.ts';

/** errno numbers lmdb-js reports on a full filesystem or an exhausted quota (Linux). */
const NO_SPACE_ERRNO: Record<number, string> = { 28: 'ENOSPC', 122: 'EDQUOT' };

/**
 * A failed write to the event log as the API answers it: a full disk is code 507 naming the
 * cause, as it is for the file itself; anything else stays as it is. lmdb-js gives the cause of
 * a failed commit as a second promise.
 */
export async function logWriteError(error: unknown): Promise<unknown> {
  const commitError = (error as { commitError?: Promise<unknown> }).commitError;
  const cause = commitError
    ? await commitError.then(
        () => error,
        (reason: unknown) => reason,
      )
    : error;
  const code = noSpaceCode(cause) ?? NO_SPACE_ERRNO[(cause as { code?: number }).code ?? -1];
  return code ? insufficientStorage(code) : error;
}
