/**
 * The code table: every answer the API can give, as the Tornado service numbered them.
 * `status` is the HTTP status in `semantic` mode; `legacy` mode answers HTTP 200 for media routes.
 */
export const CODES = {
  OK: { code: 200, status: 200, reason: 'OK' },
  INVALID_ARGUMENT: { code: 400, status: 400, reason: 'invalid argument' },
  UNAUTHORIZED: { code: 401, status: 401, reason: 'missing or wrong bearer token' },
  // Signed URLs (the `signature` query parameter): code 401 like a missing token.
  SIGNATURE_INVALID: { code: 401, status: 401, reason: 'signature does not match' },
  SIGNATURE_EXPIRED: { code: 401, status: 401, reason: 'signature expired' },
  // A known key or a valid signature that does not cover the operation or directory.
  FORBIDDEN: { code: 403, status: 403, reason: 'forbidden' },
  NOT_FOUND: { code: 404, status: 404, reason: 'not found' },
  METHOD_NOT_ALLOWED: { code: 405, status: 405, reason: 'method not allowed' },
  TOO_LARGE: { code: 413, status: 413, reason: 'larger than the configured limit' },
  PRECONDITION_FAILED: { code: 412, status: 412, reason: 'precondition failed' },
  RANGE_NOT_SATISFIABLE: { code: 416, status: 416, reason: 'range not satisfiable' },
  TOO_MANY_REQUESTS: { code: 429, status: 429, reason: 'too many requests' },
  UNKNOWN: { code: 500, status: 500, reason: 'internal error' },
  FILE_EXISTS: { code: 501, status: 409, reason: 'file already exists' },
  FILE_EMPTY: { code: 502, status: 400, reason: 'nothing to store' },
  UNSUPPORTED_MEDIA_TYPE: { code: 502, status: 415, reason: 'unsupported Content-Type' },
  MISSING_ARGUMENT: { code: 503, status: 400, reason: 'required argument missing' },
  FORMAT_NOT_SUPPORTED: { code: 504, status: 415, reason: 'format not supported' },
  INSUFFICIENT_STORAGE: { code: 507, status: 507, reason: 'insufficient storage' },
  // The object store (S3 backend) cannot be reached or fails; 503 stays the seed's "argument missing".
  STORAGE_UNAVAILABLE: { code: 505, status: 503, reason: 'storage unavailable' },
  // Resumable uploads (tus 1.0): code = HTTP status.
  UPLOAD_OFFSET_CONFLICT: { code: 409, status: 409, reason: 'Upload-Offset does not match the upload' },
  UPLOAD_GONE: { code: 410, status: 410, reason: 'the upload has expired' },
  UPLOAD_LOCKED: { code: 423, status: 423, reason: 'the upload is busy with another request; retry' },
  CHECKSUM_MISMATCH: { code: 460, status: 460, reason: 'checksum mismatch' },
  // FILE_EXISTS on /uploads: tus clients read 409 as an offset conflict and retry it, so the
  // verdict that no retry can change comes with a status they do not retry.
  UPLOAD_FILE_EXISTS: { code: 501, status: 422, reason: 'file already exists' },
  // The Redis holding the upload locks (redis.url) refuses connections or fails: nothing changed; retry.
  LOCKS_UNAVAILABLE: { code: 506, status: 503, reason: 'upload locks unavailable' },
  // GET /waveforms: the file's analysis has not finished (the answer carries Retry-After), or it failed for good.
  ANALYSIS_PENDING: { code: 508, status: 503, reason: 'analysis not finished; retry later' },
  ANALYSIS_FAILED: { code: 509, status: 422, reason: 'the file could not be analysed' },
  // Proxy answers: here code = HTTP status, unlike the media codes 502/504 above.
  BAD_GATEWAY: { code: 502, status: 502, reason: 'upstream unreachable' },
  GATEWAY_TIMEOUT: { code: 504, status: 504, reason: 'upstream timed out' },
} as const;

export type CodeName = keyof typeof CODES;

/** The JSON body of every API answer. */
export interface ApiResult {
  code: number;
  reason: string;
  [extra: string]: unknown;
}

/** An error with a place in the code table; `reason` overrides the table's generic text. */
export class AppError extends Error {
  readonly entry: (typeof CODES)[CodeName];

  constructor(
    readonly codeName: CodeName,
    reason?: string,
  ) {
    super(reason ?? CODES[codeName].reason);
    this.name = 'AppError';
    this.entry = CODES[codeName];
  }

  get code(): number {
    return this.entry.code;
  }

  toJSON(): ApiResult {
    return { code: this.entry.code, reason: this.message };
  }
}

/** The 413 reason for a file over `media.maxFileSize`, naming the limit. */
export function fileTooLargeReason(limit: number): string {
  return `file larger than the limit of ${limit} bytes (${binaryUnits(limit)}, media.maxFileSize)`;
}

/** 104857600 -> '100 MiB'; 1.5 MiB -> '1.5 MiB'. */
function binaryUnits(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toFixed(1))} ${units[unit]}`;
}
