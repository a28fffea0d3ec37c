import { AppError } from '../errors.ts';
import type { ObjectStore, StagedBytes, StagingSeam } from '../storage/byte-store.ts';
import type { EventOrigin } from './event-hook.ts';
import type { EventHook } from './event-hook.ts';
import type { ContentInspector } from './content-inspector.ts';
import { contentTypeFor } from './content-types.ts';
import { extensionOf } from '../filename-extension.ts';
import type { MediaPath } from './schemas.ts';
import type { MediaAttributes, StoredFile } from './stored-file.ts';

export interface PublishPolicy {
  verifyContent: boolean;
}

/**
 * The one way a file gets stored, whatever brought its bytes (multipart, urlencoded, resumable
 * uploads) and whatever store keeps them: the content is judged (file-type) and its audio
 * metadata read in the inspector's pool, then the store commits the bytes with their sha256
 * (hashed as they arrived) and these attributes, never replacing a file. Refused content is
 * never committed. Consumes the staged upload whatever the outcome.
 */
export class PublishPipeline {
  constructor(
    private readonly store: StagingSeam & ObjectStore,
    private readonly inspector: ContentInspector,
    private readonly policy: PublishPolicy,
    /** Records media.created in the commit's durable step (src/events/). */
    private readonly events?: EventHook,
  ) {}

  /** Throws AppError FORMAT_NOT_SUPPORTED, FILE_EXISTS, INVALID_ARGUMENT or INSUFFICIENT_STORAGE. */
  async publish(staged: StagedBytes, target: MediaPath, origin: EventOrigin = { keyId: null }): Promise<StoredFile> {
    const extension = extensionOf(target.filename);
    try {
      const inspection = await this.inspector.inspect(this.store.source(staged), extension, this.policy.verifyContent);
      if (!inspection.ok) throw new AppError('FORMAT_NOT_SUPPORTED', `format not supported: ${inspection.problem}`);
      const attributes: MediaAttributes = { contentType: contentTypeFor(extension), metadata: inspection.metadata };
      const commit = () => this.store.commit(staged, { directory: target.directory, name: target.filename }, { ...attributes });
      const stored = this.events
        ? await this.events.created({ ...target, size: staged.size, ...attributes }, origin, commit)
        : await commit();
      return { ...target, size: stored.size, sha256: stored.sha256, ...attributes };
    } catch (error) {
      await this.store.discard(staged);
      throw error;
    }
  }
}
