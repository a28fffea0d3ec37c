import type { ByteStore, StreamingStore } from '../storage/byte-store.ts';
import type { AudioAnalysis } from './audio-analysis.ts';

/**
 * The store as every upload path and the delete route use it, with analysis hooked to its two
 * events: a commit (a file published, by whatever path, a streamed one once completed) queues the
 * file, a removal drops its results. Everything else passes straight to the store.
 */
export function analysedStore(store: ByteStore, analysis: AudioAnalysis): ByteStore {
  const stream: StreamingStore['stream'] = async (...args) => {
    const sent = await (store as ByteStore & StreamingStore).stream(...args);
    const complete: typeof sent.complete = async (attributes) => {
      const stored = await sent.complete(attributes);
      analysis.enqueue(stored.key);
      return stored;
    };
    return { size: sent.size, sha256: sent.sha256, abort: () => sent.abort(), complete };
  };
  const commit: ByteStore['commit'] = async (staged, key, attributes) => {
    const stored = await store.commit(staged, key, attributes);
    analysis.enqueue(stored.key);
    return stored;
  };
  const remove: ByteStore['remove'] = async (key) => {
    const removed = await store.remove(key);
    await analysis.forget(key);
    return removed;
  };
  return new Proxy(store, {
    get(target, name) {
      if (name === 'commit') return commit;
      if (name === 'remove') return remove;
      if (name === 'stream' && 'stream' in target) return stream;
      const value: unknown = Reflect.get(target, name, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
