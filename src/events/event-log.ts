import type { ProcessIdentity } from '../lockers/process-identity.ts';
import type { CreatedData, DeletedData, MediaEvent } from './event.ts';

/**
 * A write-ahead record taken before a publish or a delete: it becomes an event when the act is
 * done, is dropped when the act failed, and is judged against the store after a crash.
 */
export type Intent = { owner: ProcessIdentity; at: number } & (
  { type: 'media.created'; data: Omit<CreatedData, 'sha256'> } | { type: 'media.deleted'; data: DeletedData }
);

/** One event's delivery to one webhook. */
export interface Delivery {
  /** The webhook's id (a digest of its url). */
  hook: string;
  seq: number;
  /** The log's own handle of the event (a Redis stream entry id), where `seq` does not name it. */
  ref?: string;
  /** `directory/filename`: deliveries of one file to one webhook are made in order. */
  file: string;
  attempts: number;
  /** When the first try was due (the event's time): the delivery fails maxAgeMs after it. */
  firstAt: number;
  nextAt: number;
  state: 'pending' | 'failed';
  lastError?: string;
  /** Set while a process sends it: no other process takes it until `until`, or the holder died. */
  lease?: { holder: ProcessIdentity; until: number };
}

export interface ConfirmOptions {
  /** The stored version of a created file (a crashed publish's file may already have its event). */
  version?: string;
  take?: { hooks: ReadonlySet<string>; leaseMs: number };
}

export interface Confirmed {
  event: MediaEvent;
  taken: ClaimedDelivery[];
}

export interface ClaimedDelivery {
  delivery: Delivery;
  event: MediaEvent;
}

/**
 * The durable event log of one deployment: events in order, their deliveries per webhook, and
 * the write-ahead intents. Every write resolves once it survives the process (SIGKILL).
 */
export interface EventLog {
  intend(intent: Intent): Promise<string>;
  /**
   * The act is done: the intent becomes the next event, with one pending delivery per hook. The
   * deliveries to the hooks of `take` are leased to this process in the same step (it sends them
   * at once, sparing a claim), unless an older delivery of the same file waits for that hook.
   */
  confirm(intentId: string, event: Omit<MediaEvent, 'id'>, hooks: string[], options?: ConfirmOptions): Promise<Confirmed>;
  drop(intentId: string): Promise<void>;
  /** Whether the intent already became an event (a log whose confirmation is not one step with the intent's removal). */
  wasConfirmed?(intentId: string): Promise<boolean>;
  intents(): Promise<Array<{ id: string; intent: Intent }>>;
  /** The version of a file's last `media.created` still in the log (a crashed publish's file may already have its event). */
  createdVersion(file: string): Promise<string | undefined>;
  /** Events after `id` (all retained when undefined or unknown), oldest first. */
  after(id: string | undefined, limit: number): Promise<MediaEvent[]>;
  event(id: string): Promise<MediaEvent | undefined>;
  /** The newest event's id; undefined for an empty log. */
  latestId(): Promise<string | undefined>;
  /** Due deliveries taken under a lease, at most `want(hook)` per hook, never two of one file and hook at once. */
  claim(now: number, want: (hook: string) => number, leaseMs: number): Promise<ClaimedDelivery[]>;
  delivered(delivery: Delivery): Promise<void>;
  reschedule(delivery: Delivery, nextAt: number, error: string): Promise<void>;
  fail(delivery: Delivery, error: string): Promise<void>;
  failed(limit: number): Promise<ClaimedDelivery[]>;
  /** Failed deliveries of the event made pending again, due now; how many. */
  retry(id: string): Promise<number>;
  /** Deliveries counted per state. */
  counts(): Promise<{ pending: number; failed: number }>;
  /** Drops events past `retainMs` (and their failed deliveries), then deliveries past `maxPending`, oldest failed first. */
  prune(now: number, retainMs: number, maxPending: number): Promise<{ failed: number; pending: number }>;
  /** Leases of processes of this host that died are let go (their deliveries are due again). */
  releaseDead(): Promise<number>;
  close(): Promise<void>;
}
