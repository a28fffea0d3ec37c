import { AppError } from '../errors.ts';

/** errno codes of a full filesystem or an exhausted quota. */
const NO_SPACE = new Set(['ENOSPC', 'EDQUOT']);

export function noSpaceCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && NO_SPACE.has(code) ? code : undefined;
}

/** Code 507 naming the cause, e.g. `insufficient storage: no space left on the storage device (ENOSPC)`. */
export function insufficientStorage(code: string): AppError {
  const what = code === 'EDQUOT' ? 'disk quota exceeded' : 'no space left on the storage device';
  return new AppError('INSUFFICIENT_STORAGE', `insufficient storage: ${what} (${code})`);
}

/** `error` as code 507 when it says the disk is full, else as it is. */
export function asStorageError(error: unknown): unknown {
  const code = noSpaceCode(error);
  return code ? insufficientStorage(code) : error;
}
