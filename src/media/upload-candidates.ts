import type { Request } from 'express';
import { AppError } from '../errors.ts';
import type { StagingSeam } from '../storage/byte-store.ts';
import { dropPart, type StagedPart } from './multipart.ts';
import type { UploadCandidate } from './upload-service.ts';
import { readUrlencodedUpload } from './urlencoded-upload.ts';

export const ACCEPTED_TYPES = 'multipart/form-data or application/x-www-form-urlencoded';

export interface BodyLimits {
  maxFileSize: number;
  maxFields: number;
  /** The target when a urlencoded body names none (a signed upload URL names it). */
  defaultTarget?: { directory: string; filename: string };
}

/**
 * The files of a parsed upload request. multipart: each file part, its directory the `directory`
 * field wherever it stands in the form, else the part's field name. urlencoded: the `body` field,
 * stored under `directory`/`filename`.
 */
export async function uploadCandidates(req: Request, store: StagingSeam, limits: BodyLimits): Promise<UploadCandidate[]> {
  if (req.is('multipart/form-data')) return multipartCandidates(req, store);
  if (req.is('application/x-www-form-urlencoded')) return [await readUrlencodedUpload(req, store, limits)];
  const type = req.headers['content-type'];
  const what = type ? `Content-Type '${type}' is not supported` : 'the request has no Content-Type';
  throw new AppError('UNSUPPORTED_MEDIA_TYPE', `nothing to store: ${what}; send ${ACCEPTED_TYPES}`);
}

async function multipartCandidates(req: Request, store: StagingSeam): Promise<UploadCandidate[]> {
  const parts = (req.files ?? []) as StagedPart[];
  const directory: unknown = (req.body as Record<string, unknown> | undefined)?.directory;
  if (directory !== undefined && typeof directory !== 'string') {
    await Promise.all(parts.map((part) => dropPart(store, part)));
    throw new AppError('INVALID_ARGUMENT', 'invalid argument: directory must be given once, as plain text');
  }
  if (parts.length === 0) throw new AppError('FILE_EMPTY', 'nothing to store: the request has no file part');
  return parts.map((part) => ({
    directory: directory ?? part.fieldname,
    filename: part.originalname,
    staged: part.staged,
    streamed: part.streamed,
  }));
}
