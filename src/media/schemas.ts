import { z } from 'zod';

const MAX_SEGMENT_BYTES = 255;
const MAX_SEGMENTS = 8;

// C0 controls, DEL and C1 controls: never part of a stored name.
// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// Percent escapes of '.', '/', '\' and NUL: a name that would turn into traversal if anything
// downstream decoded it once more is refused, not stored literally.
const ENCODED_TRAVERSAL = /%(2e|2f|5c|00)/i;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

function segmentProblem(segment: string): string | undefined {
  if (segment.length === 0) return 'empty path segment';
  if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) return `segment longer than ${MAX_SEGMENT_BYTES} bytes`;
  if (CONTROL.test(segment)) return 'control characters are not allowed';
  // Every decoder on the way (busboy, the urlencoded and query decoders, tus metadata) turns bytes
  // that are not UTF-8 into U+FFFD: refused, so two different names never become one.
  if (segment.includes('\uFFFD')) return 'names must be valid UTF-8 (U+FFFD, which undecodable bytes become, is not allowed)';
  if (ENCODED_TRAVERSAL.test(segment)) return 'percent-encoded dots or slashes are not allowed';
  // NFKC folds look-alikes such as fullwidth dots (U+FF0E) and solidus (U+FF0F) onto '.' and '/',
  // so the rules hold for every spelling a later normalisation could produce. Printable ASCII is
  // its own NFKC form: most names skip the normalisation, the costliest step here.
  const spellings = PRINTABLE_ASCII.test(segment) ? [segment] : new Set([segment, segment.normalize('NFKC')]);
  for (const spelling of spellings) {
    if (spelling.includes('\\')) return 'backslashes are not allowed';
    if (spelling.includes('/')) return 'slashes are not allowed in a name';
    if (spelling === '.' || spelling === '..') return `'${segment}' is not allowed`;
    if (spelling.startsWith('.')) return 'names may not start with a dot';
  }
  return undefined;
}

/** One path segment: a file name, or one level of a directory. */
export const segmentSchema = z.string().superRefine((value, ctx) => {
  const problem = segmentProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** A relative directory of 1 to 8 segments joined by '/'. */
export const directorySchema = z.string().superRefine((value, ctx) => {
  if (value.startsWith('/')) {
    ctx.addIssue({ code: 'custom', message: 'absolute paths are not allowed' });
    return;
  }
  const segments = value.split('/');
  if (segments.length > MAX_SEGMENTS) {
    ctx.addIssue({ code: 'custom', message: `more than ${MAX_SEGMENTS} segments` });
    return;
  }
  for (const segment of segments) {
    const problem = segmentProblem(segment);
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem });
      return;
    }
  }
});

export const filenameSchema = segmentSchema;

/** The target of an upload or delete, once both parts are known to be present. */
export const mediaPathSchema = z.object({
  directory: directorySchema,
  filename: filenameSchema,
});

export type MediaPath = z.infer<typeof mediaPathSchema>;

/** GET /media: one page of a directory (absent or empty = the root, which holds only directories). */
export const listQuerySchema = z.object({
  directory: z.union([z.literal(''), directorySchema]).default(''),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'not a cursor from a previous page')
    .optional(),
});
