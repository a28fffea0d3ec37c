import type { Redis } from 'ioredis';
import { fileOf, type MediaEvent } from './event.ts';
import type { Delivery } from './event-log.ts';

/** The Redis keys of the events of all hosts. */
const PREFIX = 'media-service:events:';
export const STREAM = `${PREFIX}log`;
export const CREATED = `${PREFIX}created`;
export const confirmedKey = (intentId: string) => `${PREFIX}confirmed:${intentId}`;
/** Deliveries that may be taken, scored by when: a file's queue head, due or leased until its lease's end. */
export const due = (hook: string) => `${PREFIX}due:${hook}`;
/** A file's pending deliveries to a hook, in event order. */
export const queue = (hook: string, file: string) => `${PREFIX}queue:${hook}:${file}`;
/** Pending deliveries of every hook. */
export const PENDING = `${PREFIX}pending`;
export const states = (hook: string) => `${PREFIX}state:${hook}`;
export const failures = (hook: string) => `${PREFIX}failed:${hook}`;
export const leases = (hook: string) => `${PREFIX}lease:${hook}`;

/** What a delivery's tries left behind (the stream entry holds the event). */
export interface DeliveryState {
  /** `directory/filename`: names the queue the delivery waits in, also once its event is gone. */
  file: string;
  attempts: number;
  firstAt: number;
  lastError?: string;
}

export type StreamEntry = [id: string, fields: string[]];

export function idOf(ref: string): string {
  return `evt_${ref}`;
}

export function refOf(id: string): string | undefined {
  return /^evt_(\d{1,15}-\d{1,15})$/.exec(id)?.[1];
}

export function eventOf([ref, fields]: StreamEntry): MediaEvent {
  return { id: idOf(ref), ...(JSON.parse(fields[fields.indexOf('e') + 1]!) as Omit<MediaEvent, 'id'>) } as MediaEvent;
}

/** The event of a stream entry; undefined once it is past the retention. */
export async function eventAt(redis: Redis, ref: string): Promise<MediaEvent | undefined> {
  const [entry] = (await redis.xrange(STREAM, ref, ref)) as StreamEntry[];
  return entry && eventOf(entry);
}

export function deliveryOf(hook: string, ref: string, event: MediaEvent, state: DeliveryState, nextAt: number): Delivery {
  return {
    hook,
    seq: 0,
    ref,
    file: fileOf(event),
    attempts: state.attempts,
    firstAt: state.firstAt,
    nextAt,
    state: 'pending',
    lastError: state.lastError,
  };
}

/** Stream entry ids in the stream's order. */
export function compareRefs(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am - bm || as - bs;
}
