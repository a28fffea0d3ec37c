import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { ByteStore, OpenedObject, StoredObject } from '../storage/byte-store.ts';
import type { AnalysisSource } from './analysis.worker.ts';
import { sendChunks } from './port-chunks.ts';

/** A stored file's bytes as the analysis thread reads them; `done()` once its analysis settled. */
export interface StoredInput {
  source: AnalysisSource;
  /** Handed over to the thread with the task. */
  transfer: MessagePort[];
  done(): void;
}

/**
 * Where the analysis thread reads a stored file: an opened object (the S3 backend) is read once
 * from the bucket on this thread and sent on as it arrives, so no copy of it lands on the host's
 * disk whatever its size; otherwise where the store says a worker can read it (a local file).
 * Undefined when the file is gone.
 */
export async function storedInput(store: ByteStore, object: StoredObject | OpenedObject): Promise<StoredInput | undefined> {
  if (!('read' in object)) {
    const source = await store.storedSource(object.key);
    return source && { source, transfer: [], done: () => undefined };
  }
  const bytes = await object.read().catch(() => undefined);
  if (!bytes) return undefined;
  const { port1, port2 } = new MessageChannel();
  sendChunks(bytes, port1);
  // The thread may stop before the end (a file it cannot decode): closing lets the object's stream go.
  return { source: { port: port2 }, transfer: [port2], done: () => port1.close() };
}
