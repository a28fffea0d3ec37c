import type { Redis } from 'ioredis';
import { diedOnThisHost, holderOf } from '../lockers/process-identity.ts';
import type { EventCommands } from './redis-commands.ts';
import type { ClaimedDelivery, Delivery } from './event-log.ts';
import { deliveryOf, due, eventAt, failures, leases, PENDING, queue, states, type DeliveryState } from './redis-stream.ts';

/**
 * The deliveries of the Redis log as the processes of all hosts take them (redis-scripts.ts):
 * a file's deliveries to a webhook wait in its queue and only the head is due, so they go one at
 * a time and in order whichever host sends them; a due one is taken under a lease, and one whose
 * holder died comes due again when the lease runs out (at once for a dead process of this host).
 */
export class RedisDeliveries {
  constructor(
    private readonly redis: Redis & EventCommands,
    private readonly hooks: string[],
    /** This process as a lease holder. */
    private readonly holder: string,
  ) {}

  async claim(now: number, want: (hook: string) => number, leaseMs: number): Promise<ClaimedDelivery[]> {
    const claimed: ClaimedDelivery[] = [];
    for (const hook of this.hooks) {
      const room = want(hook);
      if (room <= 0) continue;
      const taken = await this.redis.takeDue(due(hook), leases(hook), now, now + leaseMs, room, this.holder);
      for (const ref of taken) {
        const one = await this.claimed(hook, ref, now, now + leaseMs);
        if (one) claimed.push(one);
      }
    }
    return claimed;
  }

  delivered(delivery: Delivery): Promise<void> {
    return this.finish(delivery.hook, delivery.ref!, delivery.file, Date.now());
  }

  async reschedule(delivery: Delivery, nextAt: number, error: string): Promise<void> {
    const { hook, ref, file } = delivery;
    const state = stateAfter(delivery, error);
    await this.redis.rescheduleDelivery(due(hook), states(hook), leases(hook), queue(hook, file), ref!, nextAt, JSON.stringify(state));
  }

  fail(delivery: Delivery, error: string): Promise<void> {
    const state = stateAfter(delivery, error);
    return this.finish(delivery.hook, delivery.ref!, delivery.file, Date.now(), state);
  }

  /** A failed delivery of the event pending again, at its file's queue's end; whether it was failed. */
  async retry(hook: string, ref: string, file: string, now: number): Promise<boolean> {
    const state: DeliveryState = { file, attempts: 0, firstAt: now };
    const keys = [due(hook), states(hook), queue(hook, file), failures(hook), PENDING];
    return (await this.redis.retryFailed(...keys, ref, now, JSON.stringify(state))) === 1;
  }

  /** Deliveries leased by processes of this host that died are due again now. */
  async releaseDead(): Promise<number> {
    let released = 0;
    for (const hook of this.hooks) {
      for (const [ref, holder] of Object.entries(await this.redis.hgetall(leases(hook)))) {
        const identity = holderOf(holder);
        if (!identity || !diedOnThisHost(identity)) continue;
        await this.redis.multi().zadd(due(hook), 'XX', Date.now(), ref).hdel(leases(hook), ref).exec();
        released += 1;
      }
    }
    return released;
  }

  private async finish(hook: string, ref: string, file: string, now: number, failed?: DeliveryState): Promise<void> {
    const keys = [due(hook), states(hook), leases(hook), queue(hook, file), failures(hook), PENDING];
    await this.redis.finishDelivery(...keys, ref, now, failed ? JSON.stringify(failed) : '');
  }

  private async claimed(hook: string, ref: string, now: number, leaseEnd: number): Promise<ClaimedDelivery | undefined> {
    const json = await this.redis.hget(states(hook), ref);
    const state = json ? (JSON.parse(json) as DeliveryState) : undefined;
    const event = state && (await eventAt(this.redis, ref));
    if (!state) await this.redis.multi().zrem(due(hook), ref).hdel(leases(hook), ref).exec();
    // Its event is past the retention: nothing left to send; the file's next delivery goes on.
    else if (!event) await this.finish(hook, ref, state.file, now);
    return state && event && { delivery: deliveryOf(hook, ref, event, state, leaseEnd), event };
  }
}

function stateAfter(delivery: Delivery, error: string): DeliveryState {
  return { file: delivery.file, attempts: delivery.attempts + 1, firstAt: delivery.firstAt, lastError: error };
}
