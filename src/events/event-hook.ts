import type { StoredObject } from '../storage/byte-store.ts';
import type { CreatedData, EventOrigin } from './event.ts';

/** What a publish knows of its file before the commit (sha256 comes from the store). */
export type CreatedIntent = Omit<CreatedData, 'sha256' | 'via' | 'keyId'>;

/**
 * The one hook the publish and delete paths call: the act runs between a durable write-ahead
 * record and its confirmation, so an event exists exactly for the acts that happened, whenever
 * the process dies (a crash between the two is judged against the store at the next start).
 */
export interface EventHook {
  created(file: CreatedIntent, origin: EventOrigin, commit: () => Promise<StoredObject>): Promise<StoredObject>;
  deleted(file: { directory: string; filename: string }, origin: EventOrigin, remove: () => Promise<boolean>): Promise<boolean>;
}
