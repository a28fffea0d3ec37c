import type { CreatedIntent, UploadVia } from '../media/event-hook.ts';
import type { EVENT_TYPES } from './config.ts';

export type EventType = (typeof EVENT_TYPES)[number];

export interface CreatedData extends CreatedIntent {
  sha256: string;
  via: UploadVia;
  keyId: string | null;
}

export interface DeletedData {
  directory: string;
  filename: string;
  keyId: string | null;
}

/** One event as the log keeps it and receivers get it (`id` travels as `webhook-id` and SSE `id:`). */
export type MediaEvent = { id: string; timestamp: string } & (
  { type: 'media.created'; data: CreatedData } | { type: 'media.deleted'; data: DeletedData }
);

/** The webhook body and SSE data: the event without its id (that is a header). */
export function eventBody(event: MediaEvent): string {
  return JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data });
}

/** `directory/filename`: deliveries to one webhook go in order per file. */
export function fileOf(event: MediaEvent): string {
  return `${event.data.directory}/${event.data.filename}`;
}
