import type { ListOptions, ObjectKey, ObjectStore, StoredObject } from '../storage/byte-store.ts';
import type { AnalysisStatus } from '../analysis/analysis-record.ts';
import type { EventOrigin } from './event-hook.ts';
import type { EventHook } from './event-hook.ts';
import type { ContentInspector } from './content-inspector.ts';
import { contentTypeFor } from './content-types.ts';
import { extensionOf } from '../filename-extension.ts';
import type { MediaPath } from './schemas.ts';
import type { MediaAttributes, MediaPage, OpenedMedia, StoredEntry } from './stored-file.ts';

/**
 * The read side of the media rules: stored objects described as media files. An object that
 * carries no media attributes (copied into the store by hand) is inspected once, and what was
 * found is attached to that version of it in the store's index.
 */
export class MediaLibrary {
  constructor(
    private readonly store: ObjectStore,
    private readonly inspector: ContentInspector,
    /** Where each file's analysis fields come from (`analysis`, `loudness`), when analysis runs. */
    private readonly analysis?: { status(key: ObjectKey, sha256: string): Promise<AnalysisStatus | undefined> },
    /** Records media.deleted in the delete's durable step (src/events/). */
    private readonly events?: EventHook,
  ) {}

  async open(target: MediaPath): Promise<OpenedMedia | undefined> {
    const object = await this.store.open({ directory: target.directory, name: target.filename });
    if (!object) return undefined;
    const release = async () => object.release?.();
    try {
      const entry = await this.entry(object);
      if (entry) return { ...entry, read: object.read, release };
    } catch (error) {
      await release();
      throw error;
    }
    await release();
    return undefined;
  }

  /** A page of a directory; a file deleted while the page is described is left out of it. */
  async list(directory: string, options: ListOptions): Promise<MediaPage | undefined> {
    const page = await this.store.list(directory, options);
    if (!page) return undefined;
    const files = await Promise.all(page.objects.map((object) => this.entry(object)));
    const present = files.filter((file): file is StoredEntry => file !== undefined);
    return { files: present, directories: page.directories, nextAfter: page.nextAfter };
  }

  remove(target: MediaPath, origin: EventOrigin = { keyId: null }): Promise<boolean> {
    const remove = () => this.store.remove({ directory: target.directory, name: target.filename });
    return this.events ? this.events.deleted(target, origin, remove) : remove();
  }

  /** The object as a media file; undefined when it vanished before its attributes could be read. */
  private async entry(object: StoredObject): Promise<StoredEntry | undefined> {
    const attributes = (object.attributes as MediaAttributes | undefined) ?? (await this.describe(object));
    if (!attributes) return undefined;
    const analysis = await this.analysis?.status(object.key, object.sha256);
    return {
      directory: object.key.directory,
      filename: object.key.name,
      size: object.size,
      sha256: object.sha256,
      contentType: attributes.contentType,
      metadata: analysis ? { ...attributes.metadata, ...analysis } : attributes.metadata,
      modified: object.modified,
    };
  }

  /** Media attributes of an object that has none yet: its metadata read now, kept for next time. */
  private async describe(object: StoredObject): Promise<MediaAttributes | undefined> {
    const extension = extensionOf(object.key.name);
    const contentType = contentTypeFor(extension);
    const source = await this.store.storedSource(object.key);
    if (!source) return undefined;
    const inspection = await this.inspector.inspect(source, extension, false);
    const attributes: MediaAttributes = { contentType, metadata: inspection.ok ? inspection.metadata : null };
    await this.store.annotate(object.key, object.version, { ...attributes });
    return attributes;
  }
}
