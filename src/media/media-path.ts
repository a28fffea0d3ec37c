import { AppError } from '../errors.ts';
import { mediaPathSchema, type MediaPath } from './schemas.ts';

/**
 * A request's target path: a missing part is code 503, a malformed or unsafe one code 400.
 * Touches nothing: this runs before any file-system work.
 */
export function parseMediaPath(raw: { directory: unknown; filename: unknown }): MediaPath {
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined || value === '') throw new AppError('MISSING_ARGUMENT', `required argument missing: ${name}`);
    if (typeof value !== 'string') throw new AppError('INVALID_ARGUMENT', `invalid argument: ${name} must be given once, as text`);
  }
  const parsed = mediaPathSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AppError('INVALID_ARGUMENT', `invalid argument: ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}
