import type { Config } from '../config.ts';
import type { ByteStore } from './byte-store.ts';
import { LocalStore } from './local/local-store.ts';

/** The byte store `storage.backend` names, opened on the validated config. */
export interface StoreEvents {
  onSweepError?: (error: unknown) => void;
  onIndexError?: (error: unknown) => void;
}

export function createStore(config: Config, events: StoreEvents = {}): Promise<ByteStore> {
  switch (config.storage.backend) {
    case 'local':
      return LocalStore.open({
        root: config.storage.root,
        poolSize: config.media.poolSize,
        fsync: config.media.fsync,
        sweepIntervalMs: config.storage.sweepIntervalMs,
        tempMaxAgeMs: config.storage.tempMaxAgeMs,
        minFreeBytes: config.storage.minFreeBytes,
        ...events,
      });
  }
}
