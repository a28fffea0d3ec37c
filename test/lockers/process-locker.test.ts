import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.ts';
import { ProcessLocker } from '../../src/lockers/process-locker.ts';

const open = () => new AbortController().signal;
const nothing = () => undefined;

/** The code a rejected lock() answers with, or 'taken'. */
const outcome = (taking: Promise<void>) =>
  taking.then(
    () => 'taken',
    (error: unknown) => (error instanceof AppError ? error.codeName : String(error)),
  );

describe('in-process locks (a store without Redis)', () => {
  it('hands the lock to waiters one at a time, in the order they came', async () => {
    const locker = new ProcessLocker(10_000);
    const first = locker.newLock('name');
    await first.lock(open(), nothing);
    const order: number[] = [];
    const waiters = [1, 2, 3].map((n) => {
      const lock = locker.newLock('name');
      return lock.lock(open(), nothing).then(async () => {
        order.push(n);
        await lock.unlock();
      });
    });
    // Another name is free meanwhile.
    await locker.newLock('other').lock(open(), nothing);
    expect(order).toEqual([]);
    await first.unlock();
    await Promise.all(waiters);
    expect(order).toEqual([1, 2, 3]);
    // All let go: the name can be taken at once.
    const again = locker.newLock('name');
    await again.lock(AbortSignal.abort(), nothing);
  });

  it('asks the holder to let go, and answers 423 to a waiter whose time runs out or whose signal aborts', async () => {
    const locker = new ProcessLocker(200);
    let asked = 0;
    const holder = locker.newLock('name');
    await holder.lock(open(), () => void asked++);
    expect(await outcome(locker.newLock('name').lock(open(), nothing))).toBe('UPLOAD_LOCKED');
    const aborting = new AbortController();
    const waiting = outcome(locker.newLock('name').lock(aborting.signal, nothing));
    aborting.abort();
    expect(await waiting).toBe('UPLOAD_LOCKED');
    expect(await outcome(locker.newLock('name').lock(AbortSignal.abort(), nothing))).toBe('UPLOAD_LOCKED');
    expect(asked).toBe(2);
    // The waiters that gave up are out of the queue: the next one gets the lock at the unlock.
    const next = locker.newLock('name');
    const taking = outcome(next.lock(open(), nothing));
    await holder.unlock();
    expect(await taking).toBe('taken');
  });

  it('waits without keeping the event loop busy', async () => {
    const locker = new ProcessLocker(10_000);
    const holder = locker.newLock('name');
    await holder.lock(open(), nothing);
    const waiting = locker.newLock('name').lock(open(), nothing);
    const before = performance.eventLoopUtilization();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const busy = performance.eventLoopUtilization(before).utilization;
    await holder.unlock();
    await waiting;
    // A waiter polling with setImmediate (tus's MemoryLocker) keeps it near 1.
    expect(busy).toBeLessThan(0.5);
  });
});
