import { AppError, CODES, type CodeName } from '../errors.ts';
import type { StagedBytes, StagingSeam } from '../storage/byte-store.ts';
import type { EventOrigin } from './event-hook.ts';
import { parseMediaPath } from './media-path.ts';
import { extensionOf } from '../filename-extension.ts';
import type { PublishPipeline } from './publish-pipeline.ts';
import type { MediaPath } from './schemas.ts';
import type { StoredFile } from './stored-file.ts';
import type { StreamedPart } from './streamed-part.ts';

/** One file of an upload request, as the body parser found it. */
export interface UploadCandidate {
  directory?: string;
  filename?: string;
  /** Undefined when there were no bytes to stage, or when they streamed into the store instead. */
  staged?: StagedBytes;
  /** A large file part sent into the store as it arrived (multipart.ts), its target the one above. */
  streamed?: StreamedPart;
}

export interface UploadPolicy {
  allowedExtensions: readonly string[];
  /** Throws (403, 413) when the request may not store this file (src/access/). */
  mayStore?: (target: MediaPath, size: number) => void;
  /** How the files came and for whom, for their media.created events. */
  origin?: EventOrigin;
}

export type FileResult = { directory?: string; filename?: string; code: number; reason: string } & Partial<StoredFile>;

export interface UploadOutcome {
  codeName: CodeName;
  reason: string;
  files: FileResult[];
}

/**
 * Judges each file alone and publishes the good ones. The answer is 200 only when every file was
 * stored, else the first failure's code. Every staged upload is published or discarded.
 */
export async function storeUploads(
  store: StagingSeam,
  pipeline: PublishPipeline,
  policy: UploadPolicy,
  candidates: UploadCandidate[],
): Promise<UploadOutcome> {
  const settled = await Promise.allSettled(candidates.map((candidate) => storeOne(store, pipeline, policy, candidate)));
  const unexpected = settled.find((result) => result.status === 'rejected');
  if (unexpected) throw unexpected.reason;
  const judged = settled.map((result) => (result as PromiseFulfilledResult<Judged>).value);
  const failure = judged.find((file) => file.codeName !== 'OK');
  return {
    codeName: failure?.codeName ?? 'OK',
    reason: failure?.result.reason ?? CODES.OK.reason,
    files: judged.map((file) => file.result),
  };
}

interface Judged {
  codeName: CodeName;
  result: FileResult;
}

async function storeOne(store: StagingSeam, pipeline: PublishPipeline, policy: UploadPolicy, candidate: UploadCandidate): Promise<Judged> {
  const { directory, filename, staged, streamed } = candidate;
  const named = { directory, filename };
  try {
    const target = validTarget(policy, candidate);
    const size = staged?.size ?? streamed?.size ?? 0;
    if (size === 0) throw new AppError('FILE_EMPTY', 'nothing to store: the file is empty');
    policy.mayStore?.(target, size);
    const stored = streamed ? await publishStreamed(streamed, policy.origin) : await pipeline.publish(staged!, target, policy.origin);
    return { codeName: 'OK', result: { ...stored, code: CODES.OK.code, reason: CODES.OK.reason } };
  } catch (error) {
    if (staged) await store.discard(staged);
    await streamed?.sent?.abort();
    if (!(error instanceof AppError)) throw error;
    return { codeName: error.codeName, result: { ...named, ...error.toJSON() } };
  }
}

/** The store's refusal comes in the same order as the pipeline's: after the target and the access checks. */
function publishStreamed(streamed: StreamedPart, origin: EventOrigin | undefined): Promise<StoredFile> {
  if (!streamed.sent) throw streamed.refusal ?? new Error('a streamed part was neither sent nor refused');
  return streamed.sent.publish(origin);
}

export function validTarget(policy: UploadPolicy, { directory, filename }: UploadCandidate): MediaPath {
  const target = parseMediaPath({ directory, filename });
  const extension = extensionOf(target.filename);
  if (!policy.allowedExtensions.includes(extension)) {
    const allowed = policy.allowedExtensions.join(', ');
    throw new AppError('FORMAT_NOT_SUPPORTED', `format not supported: '${extension || target.filename}' is not one of ${allowed}`);
  }
  return target;
}
