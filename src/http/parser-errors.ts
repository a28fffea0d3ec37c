import { AppError } from '../errors.ts';

/** Errors thrown by the body parsers (body-parser, multer, busboy) and the static file server (send), mapped once. */
export function fromParserError(error: unknown): AppError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, type, status, message } = error as { code?: string; type?: string; status?: number; message?: string };
  // send (res.sendFile, express.static) fails a request for a file that exists with 412 when an
  // If-Match / If-Unmodified-Since precondition fails and 416 for a range past the end (RFC 9110
  // sections 13.1.1 and 14.4); it has already set `Content-Range: bytes */<size>` for the latter.
  if (status === 412) return new AppError('PRECONDITION_FAILED');
  if (status === 416) return new AppError('RANGE_NOT_SATISFIABLE');
  if (typeof code === 'string' && code.startsWith('LIMIT_')) return new AppError('TOO_LARGE', multerLimitReason(code));
  if (code === 'MISSING_FIELD_NAME' || code === 'INVALID_FIELD_NAME') {
    return new AppError('INVALID_ARGUMENT', `malformed multipart body: ${message}`);
  }
  if (type === 'entity.too.large') {
    const { limit } = error as { limit?: number };
    return new AppError(
      'TOO_LARGE',
      limit === undefined ? 'request body larger than the configured limit' : `request body larger than the limit of ${limit} bytes`,
    );
  }
  if (type === 'request.aborted') return new AppError('INVALID_ARGUMENT', 'request aborted by the client');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new AppError('UNSUPPORTED_MEDIA_TYPE', message);
  }
  if (status === 400 && typeof message === 'string') return new AppError('INVALID_ARGUMENT', `malformed body: ${message}`);
  // busboy reports malformed multipart as plain Errors with these messages.
  if (typeof message === 'string' && /multipart|boundary|unexpected end of form|malformed part header/i.test(message)) {
    return new AppError('INVALID_ARGUMENT', `malformed multipart body: ${message}`);
  }
  return undefined;
}

function multerLimitReason(code: string): string {
  switch (code) {
    case 'LIMIT_FILE_SIZE':
      return 'file larger than the configured limit (media.maxFileSize)';
    case 'LIMIT_FILE_COUNT':
      return 'too many files in one request (media.maxFiles)';
    case 'LIMIT_FIELD_COUNT':
      return 'too many fields in one request (media.maxFields)';
    case 'LIMIT_PART_COUNT':
      return 'too many parts in one request (media.maxFiles + media.maxFields)';
    default:
      return `request over a configured limit (${code})`;
  }
}
