import type { Request, Response } from 'express';
import type { MediaEvent } from './event.ts';
import { eventBody } from './event.ts';
import type { EventLog } from './event-log.ts';

export interface FeedOptions {
  /** A comment line this often keeps proxies from closing an idle stream. */
  keepAliveMs: number;
  /** A reader with this much unsent is too slow: it is dropped (it resumes with Last-Event-ID). */
  maxBufferBytes: number;
  /** How often the log is read for events of other processes sharing it. */
  pollMs: number;
}

export const FEED_DEFAULTS: FeedOptions = { keepAliveMs: 15_000, maxBufferBytes: 1024 * 1024, pollMs: 250 };
/** Events read from the log at a time for one reader. */
const BATCH = 100;

/**
 * GET /events as Server-Sent Events (WHATWG HTML 9.2): every event the reader may see, `id:` the
 * event id, from after `Last-Event-ID` (within the log's retention) on.
 */
/** What a feed reads: the log, a signal when an event was recorded, and one when feeds must end (Events has all three). */
export interface FeedSource {
  readonly log: Pick<EventLog, 'latestId' | 'after'>;
  onEvent(listener: () => void): () => void;
  onStop(end: () => void): () => void;
}

export async function followEvents(
  events: FeedSource,
  req: Request,
  res: Response,
  visible: (directory: string) => boolean,
  options: FeedOptions,
): Promise<void> {
  // Without Last-Event-ID the reader gets what happens from now on.
  let cursor = req.get('last-event-id') ?? (await events.log.latestId());
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
  res.flushHeaders();
  let closed = false;
  let sending = false;
  let again = false;
  const pump = async () => {
    for (;;) {
      const batch = await events.log.after(cursor, BATCH);
      if (closed) return;
      for (const event of batch) {
        cursor = event.id;
        if (visible(event.data.directory)) res.write(frame(event));
      }
      if (res.writableLength > options.maxBufferBytes) return close(true);
      if (batch.length < BATCH) return;
    }
  };
  // One read of the log at a time per reader; a wake-up meanwhile reads once more after it.
  const send = () => {
    if (closed) return;
    if (sending) {
      again = true;
      return;
    }
    sending = true;
    void pump()
      .catch(() => close(true))
      .finally(() => {
        sending = false;
        if (again) {
          again = false;
          send();
        }
      });
  };
  const close = (drop: boolean) => {
    if (closed) return;
    closed = true;
    stopListening();
    stopFeed();
    clearInterval(poll);
    clearInterval(keepAlive);
    if (drop) res.destroy();
    else res.end();
  };
  const stopListening = events.onEvent(send);
  const stopFeed = events.onStop(() => close(false));
  const poll = setInterval(send, options.pollMs);
  const keepAlive = setInterval(() => {
    res.write(': keep-alive\n\n');
    if (res.writableLength > options.maxBufferBytes) close(true);
  }, options.keepAliveMs);
  res.on('close', () => close(false));
  res.write(': connected\n\n');
  send();
}

function frame(event: MediaEvent): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${eventBody(event)}\n\n`;
}
