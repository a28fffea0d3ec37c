import type { RequestHandler, Response } from 'express';
import type { ListingView } from '../access/access.ts';
import { AppError } from '../errors.ts';
import { sendResult } from '../http/answers.ts';
import type { MediaLibrary } from './media-library.ts';
import { listQuerySchema } from './schemas.ts';
import type { StoredEntry } from './stored-file.ts';

const toCursor = (name: string) => Buffer.from(name, 'utf8').toString('base64url');
const fromCursor = (cursor: string) => Buffer.from(cursor, 'base64url').toString('utf8');

/** GET /media?directory=&limit=&cursor=: one page of files in byte order of their names. */
export function listingHandler(library: MediaLibrary, viewOf: (res: Response, directory: string) => ListingView): RequestHandler {
  return async (req, res) => {
    const parsed = listQuerySchema.safeParse(req.query);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new AppError('INVALID_ARGUMENT', `invalid argument: ${issue.path.join('.')}: ${issue.message}`);
    }
    const { directory, limit, cursor } = parsed.data;
    const view = viewOf(res, directory);
    const page = await library.list(directory, { limit, after: cursor === undefined ? undefined : fromCursor(cursor) });
    if (!page) throw new AppError('NOT_FOUND', `not found: directory '${directory}'`);
    sendResult(res, 'OK', {
      directory,
      directories: view.all ? page.directories : page.directories.filter(view.shows),
      files: view.all ? page.files.map(describe) : [],
      ...(page.nextAfter === undefined ? {} : { nextCursor: toCursor(page.nextAfter) }),
    });
  };
}

function describe({ directory: _directory, modified, ...file }: StoredEntry) {
  return { ...file, modified: modified.toISOString() };
}
