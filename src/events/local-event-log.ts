import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { open, type Database, type Key, type RootDatabase } from 'lmdb';
import { diedOnThisHost, thisProcess } from '../uploads/process-identity.ts';
import type { MediaEvent } from './event.ts';
import { fileOf } from './event.ts';
import type { ClaimedDelivery, ConfirmOptions, Confirmed, Delivery, EventLog, Intent } from './event-log.ts';

type DeliveryKey = [number, string];
/** [nextAt, hook, seq]: pending deliveries by when they are due (a leased one at its lease's end). */
type ScheduleKey = [number, string, number];
/** [hook, file, seq]: pending deliveries of one file to one hook, in event order. */
type QueueKey = [string, string, number];

/** Entries a claim looks at: enough for a busy tick, few enough to keep the write lock short. */
const CLAIM_SCAN = 1000;
/** The longest a close waits for lmdb-js. */
const CLOSE_WAIT_MS = 2000;
/** Free space the log's filesystem must have for a new intent: a few LMDB pages and more. */
const MIN_ROOM_BYTES = 256 * 1024;

/**
 * The event log in LMDB (lmdb-js), in `<root>/.events`: one environment shared by the processes
 * of a host; every write is one transaction, committed (it survives the process) when it resolves.
 */
export class LocalEventLog implements EventLog {
  private constructor(
    private readonly root: RootDatabase,
    private readonly meta: Database<unknown, string>,
    private readonly intentsDb: Database<Intent, string>,
    private readonly events: Database<MediaEvent, number>,
    private readonly deliveries: Database<Delivery, DeliveryKey>,
    private readonly schedule: Database<true, ScheduleKey>,
    private readonly queues: Database<true, QueueKey>,
    private readonly created: Database<string, string>,
    private readonly instance: string,
    private readonly directory: string,
  ) {}

  static async open(directory: string): Promise<LocalEventLog> {
    fs.mkdirSync(directory, { recursive: true });
    // Without event-turn batching, as the metadata index: a failed commit rejects only its own promise.
    const root = open({ path: path.join(directory, 'log.mdb'), maxDbs: 8, eventTurnBatching: false });
    const db = <V, K extends Key>(name: string) => root.openDB<V, K>({ name });
    const meta = db<unknown, string>('meta');
    // A fresh log names its events anew: a receiver never takes a new event for one it has seen.
    let instance = meta.get('instance') as string | undefined;
    if (instance === undefined) {
      instance = randomBytes(4).toString('hex');
      await meta.ifNoExists('instance', () => void meta.put('instance', instance));
      instance = meta.get('instance') as string;
    }
    return new LocalEventLog(
      root,
      meta,
      db('intents'),
      db('events'),
      db('deliveries'),
      db('schedule'),
      db('queues'),
      db('created'),
      instance,
      directory,
    );
  }

  private idOf(seq: number): string {
    return `evt_${this.instance}_${seq}`;
  }

  private seqOf(id: string): number | undefined {
    const match = /^evt_([0-9a-f]{8})_(\d{1,15})$/.exec(id);
    return match?.[1] === this.instance ? Number(match[2]) : undefined;
  }

  async intend(intent: Intent): Promise<string> {
    // lmdb-js does not recover from a commit that met a full disk (later commits and the close
    // never settle): below a little room, refuse before writing, as ENOSPC.
    const room = await fs.promises.statfs(this.directory);
    if (room.bavail * room.bsize < MIN_ROOM_BYTES) throw Object.assign(new Error('no space left for the event log'), { code: 'ENOSPC' });
    const id = randomUUID();
    await this.intentsDb.put(id, intent);
    return id;
  }

  confirm(intentId: string, event: Omit<MediaEvent, 'id'>, hooks: string[], { version, take }: ConfirmOptions = {}): Promise<Confirmed> {
    return this.root.transaction(() => {
      const seq = ((this.meta.get('seq') as number | undefined) ?? 0) + 1;
      void this.meta.put('seq', seq);
      const stored = { id: this.idOf(seq), ...event } as MediaEvent;
      void this.events.put(seq, stored);
      void this.intentsDb.remove(intentId);
      const file = fileOf(stored);
      if (stored.type === 'media.created' && version !== undefined) void this.created.put(file, version);
      if (stored.type === 'media.deleted') void this.created.remove(file);
      const at = Date.parse(stored.timestamp);
      const taken: ClaimedDelivery[] = [];
      for (const hook of hooks) {
        const delivery: Delivery = { hook, seq, file, attempts: 0, firstAt: at, nextAt: at, state: 'pending' };
        const [older] = this.queues.getKeys({ start: [hook, file, 0], end: [hook, file, seq], limit: 1 });
        if (take?.hooks.has(hook) && older === undefined) {
          const until = Date.now() + take.leaseMs;
          Object.assign(delivery, { nextAt: until, lease: { holder: thisProcess(), until } });
          taken.push({ delivery, event: stored });
        }
        this.putPending(delivery);
      }
      this.count('pending', hooks.length);
      return { event: stored, taken };
    });
  }

  async drop(intentId: string): Promise<void> {
    await this.intentsDb.remove(intentId);
  }

  async intents(): Promise<Array<{ id: string; intent: Intent }>> {
    return [...this.intentsDb.getRange()].map(({ key, value }) => ({ id: key, intent: value }));
  }

  async createdVersion(file: string): Promise<string | undefined> {
    return this.created.get(file);
  }

  async after(id: string | undefined, limit: number): Promise<MediaEvent[]> {
    const seq = id === undefined ? undefined : this.seqOf(id);
    return [...this.events.getRange({ start: seq === undefined ? 0 : seq + 1, limit })].map(({ value }) => value);
  }

  async event(id: string): Promise<MediaEvent | undefined> {
    const seq = this.seqOf(id);
    return seq === undefined ? undefined : this.events.get(seq);
  }

  async latestId(): Promise<string | undefined> {
    const [seq] = this.events.getKeys({ reverse: true, limit: 1 });
    return seq === undefined ? undefined : this.idOf(seq);
  }

  claim(now: number, want: (hook: string) => number, leaseMs: number): Promise<ClaimedDelivery[]> {
    return this.root.transaction(() => {
      const taken = new Map<string, number>();
      const claimed: ClaimedDelivery[] = [];
      for (const { key } of this.schedule.getRange({ start: [0], limit: CLAIM_SCAN })) {
        const [nextAt, hook, seq] = key;
        if (nextAt > now) break;
        if ((taken.get(hook) ?? 0) >= want(hook)) continue;
        const delivery = this.deliveries.get([seq, hook]);
        const event = this.events.get(seq);
        if (!delivery || delivery.state !== 'pending' || !event) {
          void this.schedule.remove(key);
          continue;
        }
        // In order per file: only the oldest pending delivery of this file to this hook goes.
        const [head] = this.queues.getKeys({
          start: [hook, delivery.file, 0],
          end: [hook, delivery.file, Number.MAX_SAFE_INTEGER],
          limit: 1,
        });
        if (head !== undefined && head[2] !== seq) continue;
        void this.schedule.remove(key);
        const until = now + leaseMs;
        const leased: Delivery = { ...delivery, nextAt: until, lease: { holder: thisProcess(), until } };
        void this.deliveries.put([seq, hook], leased);
        void this.schedule.put([until, hook, seq], true);
        taken.set(hook, (taken.get(hook) ?? 0) + 1);
        claimed.push({ delivery: leased, event });
      }
      return claimed;
    });
  }

  async delivered(delivery: Delivery): Promise<void> {
    await this.root.transaction(() => {
      const current = this.deliveries.get([delivery.seq, delivery.hook]);
      if (!current) return;
      this.removePending(current);
      void this.deliveries.remove([delivery.seq, delivery.hook]);
      this.count('pending', -1);
    });
  }

  async reschedule(delivery: Delivery, nextAt: number, error: string): Promise<void> {
    await this.root.transaction(() => {
      const current = this.deliveries.get([delivery.seq, delivery.hook]);
      if (current?.state !== 'pending') return;
      void this.schedule.remove([current.nextAt, delivery.hook, delivery.seq]);
      const next: Delivery = { ...delivery, attempts: delivery.attempts + 1, nextAt, lastError: error, lease: undefined };
      void this.deliveries.put([delivery.seq, delivery.hook], next);
      void this.schedule.put([nextAt, delivery.hook, delivery.seq], true);
    });
  }

  async fail(delivery: Delivery, error: string): Promise<void> {
    await this.root.transaction(() => {
      const current = this.deliveries.get([delivery.seq, delivery.hook]);
      if (current?.state !== 'pending') return;
      this.removePending(current);
      const failed: Delivery = { ...delivery, attempts: delivery.attempts + 1, state: 'failed', lastError: error, lease: undefined };
      void this.deliveries.put([delivery.seq, delivery.hook], failed);
      this.count('pending', -1);
      this.count('failed', 1);
    });
  }

  async failed(limit: number): Promise<ClaimedDelivery[]> {
    const out: ClaimedDelivery[] = [];
    for (const { key, value } of this.deliveries.getRange()) {
      if (value.state !== 'failed') continue;
      const event = this.events.get(key[0]);
      if (event) out.push({ delivery: value, event });
      if (out.length === limit) break;
    }
    return out;
  }

  retry(id: string): Promise<number> {
    const seq = this.seqOf(id);
    if (seq === undefined) return Promise.resolve(0);
    return this.root.transaction(() => {
      const now = Date.now();
      let again = 0;
      for (const { value } of this.deliveries.getRange({ start: [seq, ''], end: [seq + 1, ''] })) {
        if (value.state !== 'failed') continue;
        this.putPending({ ...value, state: 'pending', attempts: 0, firstAt: now, nextAt: now, lastError: undefined });
        again += 1;
      }
      this.count('failed', -again);
      this.count('pending', again);
      return again;
    });
  }

  async counts(): Promise<{ pending: number; failed: number }> {
    return this.countsNow();
  }

  private countsNow(): { pending: number; failed: number } {
    return { pending: (this.meta.get('pending') as number) ?? 0, failed: (this.meta.get('failed') as number) ?? 0 };
  }

  prune(now: number, retainMs: number, maxPending: number): Promise<{ failed: number; pending: number }> {
    return this.root.transaction(() => {
      const dropped = { failed: 0, pending: 0 };
      for (const { key: seq, value } of this.events.getRange({ start: 0 })) {
        if (Date.parse(value.timestamp) > now - retainMs) break;
        const own = [...this.deliveries.getRange({ start: [seq, ''], end: [seq + 1, ''] })];
        if (own.some(({ value: d }) => d.state === 'pending')) break;
        for (const { key } of own) void this.deliveries.remove(key);
        this.count('failed', -own.length);
        void this.events.remove(seq);
      }
      const { pending, failed } = this.countsNow();
      let excess = pending + failed - maxPending;
      for (const state of ['failed', 'pending'] as const) {
        for (const { key, value } of this.deliveries.getRange()) {
          if (excess <= 0) break;
          if (value.state !== state) continue;
          if (state === 'pending') this.removePending(value);
          void this.deliveries.remove(key);
          this.count(state, -1);
          dropped[state] += 1;
          excess -= 1;
        }
      }
      return dropped;
    });
  }

  releaseDead(): Promise<number> {
    return this.root.transaction(() => {
      let released = 0;
      for (const { key, value } of this.deliveries.getRange()) {
        if (value.state !== 'pending' || !value.lease || !diedOnThisHost(value.lease.holder)) continue;
        void this.schedule.remove([value.nextAt, value.hook, value.seq]);
        const now = Date.now();
        void this.deliveries.put(key, { ...value, nextAt: now, lease: undefined });
        void this.schedule.put([now, value.hook, value.seq], true);
        released += 1;
      }
      return released;
    });
  }

  /** Waits for the writes under way; after a failed commit (a full disk) lmdb-js may never settle the close, so not forever. */
  async close(): Promise<void> {
    await Promise.race([this.root.close(), new Promise((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref())]);
  }

  /** Inside a transaction. */
  private putPending(delivery: Delivery): void {
    void this.deliveries.put([delivery.seq, delivery.hook], delivery);
    void this.schedule.put([delivery.nextAt, delivery.hook, delivery.seq], true);
    void this.queues.put([delivery.hook, delivery.file, delivery.seq], true);
  }

  /** Inside a transaction. */
  private removePending(delivery: Delivery): void {
    void this.schedule.remove([delivery.nextAt, delivery.hook, delivery.seq]);
    void this.queues.remove([delivery.hook, delivery.file, delivery.seq]);
  }

  /** Inside a transaction. */
  private count(state: 'pending' | 'failed', change: number): void {
    if (change !== 0) void this.meta.put(state, ((this.meta.get(state) as number | undefined) ?? 0) + change);
  }
}
