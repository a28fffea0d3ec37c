import { AppError } from '../../errors.ts';

/** What the SDK throws: RGW's error answers carry no message, so the name and the status say what happened. */
interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

export function statusOf(error: unknown): number | undefined {
  return (error as SdkError | undefined)?.$metadata?.httpStatusCode;
}

export const isNotFound = (error: unknown) => statusOf(error) === 404;
export const isPreconditionFailed = (error: unknown) => statusOf(error) === 412;
/** AWS answers 409 ConditionalRequestConflict while another conditional write of the key is in flight. */
export const isConditionalConflict = (error: unknown) => statusOf(error) === 409;

/** Failures that say the request never reached the gateway. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * A write that failed this way may still have been carried out: no answer came (a deadline, a
 * broken connection), or a 5xx that a gateway or proxy may give after the fact.
 */
export function mayHaveLanded(error: unknown): boolean {
  const status = statusOf(error);
  if (status !== undefined) return status >= 500;
  return !NOT_SENT.has((error as SdkError | undefined)?.code ?? '');
}

/**
 * Any other failure of a call to the bucket, as code 505 naming its cause in a few words: no
 * endpoint, signature or credential ever goes into the reason.
 */
export function unavailable(error: unknown, bucket: string): AppError {
  return new AppError('STORAGE_UNAVAILABLE', `storage unavailable: bucket '${bucket}': ${causeOf(error)}`);
}

/** Code 505 for a PUT that may have stored the object: the reason says so, and how to find out. */
export function outcomeUnknown(error: unknown, bucket: string): AppError {
  return new AppError(
    'STORAGE_UNAVAILABLE',
    `storage unavailable: bucket '${bucket}': ${causeOf(error)}; outcome unknown: the file may have been stored (send the same file again to find out)`,
  );
}

function causeOf(error: unknown): string {
  const { name, code, $metadata } = (error ?? {}) as SdkError;
  const status = $metadata?.httpStatusCode;
  if (name === 'TimeoutError' || name === 'AbortError' || code === 'ETIMEDOUT') return 'timed out';
  if (status !== undefined) return `${name && name !== 'Unknown' && name !== 'UnknownError' ? name : 'error'} (HTTP ${status})`;
  if (code !== undefined && /^E[A-Z]+$/.test(code)) return `unreachable (${code})`;
  return name && /^[A-Za-z]+$/.test(name) ? name : 'error';
}
