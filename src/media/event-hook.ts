import type { StoredObject } from '../storage/byte-store.ts';
import type { AudioMetadata } from './stored-file.ts';

/** How a file reached the store. */
export type UploadVia = 'multipart' | 'urlencoded' | 'resumable';

/** Who and what caused an event, as the route knows it. */
export interface EventOrigin {
  via?: UploadVia;
  /** The access key's id; null for an open service or a signed URL. */
  keyId: string | null;
}

/** What a publish knows of its file before the commit (sha256 comes from the store). */
export interface CreatedIntent {
  directory: string;
  filename: string;
  size: number;
  contentType: string;
  metadata: AudioMetadata | null;
}

/**
 * The one hook the publish and delete paths call: the act runs between a durable write-ahead
 * record and its confirmation, so an event exists exactly for the acts that happened, whenever
 * the process dies (a crash between the two is judged against the store at the next start).
 */
export interface EventHook {
  created(file: CreatedIntent, origin: EventOrigin, commit: () => Promise<StoredObject>): Promise<StoredObject>;
  deleted(file: { directory: string; filename: string }, origin: EventOrigin, remove: () => Promise<boolean>): Promise<boolean>;
}
