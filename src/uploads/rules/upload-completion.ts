import { createHash } from 'node:crypto';
import { ERRORS, type Locker } from '@tus/utils';
import type { MediaConfig } from '../../media/config.ts';
import { AppError, CODES, type CodeName } from '../../errors.ts';
import type { PublishPipeline } from '../../media/publish-pipeline.ts';
import { storeUploads, validTarget, type UploadCandidate, type UploadOutcome } from '../../media/upload-service.ts';
import type { StreamPublish } from '../../media/stream-publish.ts';
import type { Metrics } from '../../observability/metrics.ts';
import { faultPoint } from '../../fault-points.ts';
import type { ObjectStore, StagingSeam, StreamedObject } from '../../storage/byte-store.ts';
import type { ResumableDataStore } from '../tus/resumable-data-store.ts';
import { uploadOf, type CompletionAnswer, type UploadRecord } from '../records/upload-records.ts';
import { tryLock } from '../../lockers/try-lock.ts';
import { OWNER_KEY, ownerKeyId } from '../../access/upload-owner.ts';

export type { CompletionAnswer } from '../records/upload-records.ts';

/** Failures that may pass (the bucket, the staging disk): the upload is kept for a retry. */
const PASSING: ReadonlySet<CodeName> = new Set(['STORAGE_UNAVAILABLE', 'INSUFFICIENT_STORAGE']);

export interface CompletionDeps {
  store: StagingSeam & ObjectStore;
  pipeline: PublishPipeline;
  /** Publishes uploads sent in place (sentInPlace) as POST /media's streamed parts are; absent where no store sends in place. */
  streaming?: StreamPublish;
  media: MediaConfig;
  dataStore: ResumableDataStore;
  locker: Locker;
  lockTimeoutMs: number;
  metrics: Metrics;
}

/**
 * What happens once an upload's last byte is in: the same judgement and answer as POST /media,
 * always under the upload's lock, and in steps a crash can interrupt anywhere: the record notes
 * that the publish began (`completing`), the bytes stay where they are until the record holds the
 * decision (`outcome`, kept until expiry, so HEAD and a repeated final PATCH answer it), and a
 * publish that finds its file already stored with these very bytes (a crash after the commit)
 * takes that as its outcome. Whoever holds the lock next completes a pending upload: the final
 * PATCH, a HEAD or PATCH of a resuming client, a DELETE, or the start-up recovery.
 * After a failure that may pass the upload stays: less its last piece where the store can take
 * it back (BucketUploadStore.rewind: the client's retry resends it), else whole, for the next request.
 * An upload the store sent in place (S3 multipart, sentInPlace) is not staged: its parts are
 * completed where they are, as POST /media's streamed file parts are.
 */
export class UploadFinisher {
  constructor(private readonly deps: CompletionDeps) {}

  /** The final PATCH's completion: takes the lock (no other request can make it let go), then completeLocked. */
  async complete(id: string): Promise<CompletionAnswer> {
    const lock = this.deps.locker.newLock(id);
    await lock.lock(AbortSignal.timeout(this.deps.lockTimeoutMs), () => undefined);
    try {
      return await this.completeLocked(id);
    } finally {
      await lock.unlock();
    }
  }

  /** For a holder of the lock: the recorded decision, or the publish now. */
  async completeLocked(id: string): Promise<CompletionAnswer> {
    const record = await this.deps.dataStore.readRecord(id);
    if (!record) throw ERRORS.FILE_NOT_FOUND;
    if (record.outcome) return record.outcome;
    // Taken back for a retry meanwhile: the client resends from the new offset.
    if (record.offset !== record.size) throw ERRORS.INVALID_OFFSET;
    return this.publish(record);
  }

  /** Completes, at start, the uploads a crash left pending; each skipped when busy. Answers how many it completed. */
  async recover(): Promise<number> {
    let completed = 0;
    for (const id of await this.deps.dataStore.pendingIds()) {
      const lock = await tryLock(this.deps.locker, id);
      if (!lock) continue;
      try {
        await this.completeLocked(id);
        completed += 1;
      } finally {
        await lock.unlock();
      }
    }
    return completed;
  }

  private async publish(record: UploadRecord): Promise<CompletionAnswer> {
    const { store, pipeline, media, dataStore } = this.deps;
    const inPlace = await dataStore.sentInPlace?.(record);
    if (record.completing) {
      const found = await this.storedAlready(record, inPlace?.sha256);
      if (found) return this.settle(record, found);
    } else {
      await dataStore.markCompleting(record);
      await faultPoint('completing');
    }
    const candidate = inPlace ? this.sentCandidate(record, inPlace) : await this.stagedCandidate(record);
    await faultPoint('staged');
    const origin = { via: 'resumable' as const, keyId: ownerKeyId(record.metadata[OWNER_KEY]) };
    const outcome = await storeUploads(store, pipeline, { ...media, origin }, [candidate]);
    await faultPoint('committed');
    const answer = answerOf(outcome);
    if (!PASSING.has(outcome.codeName)) return this.settle(record, answer);
    this.deps.metrics.resumableCompleted.inc({ code: String(answer.code) });
    const offset = await dataStore.rewind?.(record.id).catch(() => undefined);
    return { ...answer, offset };
  }

  /** The upload's bytes staged on this host, for the publish pipeline. */
  private async stagedCandidate(record: UploadRecord): Promise<UploadCandidate> {
    try {
      const staged = await this.deps.dataStore.stageComplete(this.deps.store, uploadOf(record));
      return { ...namedIn(record), staged };
    } catch (error) {
      if (error instanceof AppError && PASSING.has(error.codeName)) await this.deps.dataStore.rewind?.(record.id).catch(() => undefined);
      throw error;
    }
  }

  /** The upload's parts, completed in place by the publish (the name's lock, no-replace). */
  private sentCandidate(record: UploadRecord, sent: StreamedObject): UploadCandidate {
    if (!this.deps.streaming) throw new Error('an upload sent in place needs the streamed publish');
    const named = namedIn(record);
    const target = validTarget(this.deps.media, named);
    return { ...named, streamed: { target, size: sent.size, sent: this.deps.streaming.adopt(sent, target) } };
  }

  /** POST /media's success when the target holds exactly this upload's bytes (a publish a crash interrupted after its commit). */
  private async storedAlready(record: UploadRecord, sha256?: string): Promise<CompletionAnswer | undefined> {
    const target = validTarget(this.deps.media, namedIn(record));
    const stored = await this.deps.store.head({ directory: target.directory, name: target.filename });
    if (!stored || stored.size !== record.size) return undefined;
    if ((sha256 ?? (await this.hashOf(record))) !== stored.sha256) return undefined;
    const file = {
      ...target,
      size: stored.size,
      sha256: stored.sha256,
      ...stored.attributes,
      code: CODES.OK.code,
      reason: CODES.OK.reason,
    };
    return answerOf({ codeName: 'OK', reason: CODES.OK.reason, files: [file] });
  }

  private async hashOf(record: UploadRecord): Promise<string> {
    const hash = createHash('sha256');
    for await (const chunk of this.deps.dataStore.readBytes(record)) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }

  private async settle(record: UploadRecord, answer: CompletionAnswer): Promise<CompletionAnswer> {
    await this.deps.dataStore.settle(record, answer);
    this.deps.metrics.resumableCompleted.inc({ code: String(answer.code) });
    if (answer.code === CODES.OK.code) this.deps.metrics.bytesStored.inc(record.size);
    return answer;
  }
}

function answerOf(outcome: UploadOutcome): CompletionAnswer {
  const entry = new AppError(outcome.codeName).entry;
  return { code: entry.code, status: entry.status, body: { code: entry.code, reason: outcome.reason, files: outcome.files } };
}

/** The directory and filename the upload's metadata names, as POST /media's fields would give them. */
function namedIn(record: UploadRecord): { directory: string | undefined; filename: string | undefined } {
  const { directory, filename } = record.metadata;
  return { directory: directory ?? undefined, filename: filename ?? undefined };
}
