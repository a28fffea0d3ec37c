import type { Lock, Locker } from '@tus/utils';

/** The upload's lock if it is free now (one try, no waiting: an aborted signal), else undefined. */
export async function tryLock(locker: Locker, id: string): Promise<Lock | undefined> {
  const lock = locker.newLock(id);
  return lock
    .lock(AbortSignal.abort(), () => undefined)
    .then(
      () => lock,
      () => undefined,
    );
}
