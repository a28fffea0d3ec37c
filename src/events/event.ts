import type { AudioMetadata } from '../media/stored-file.ts';
import type { EVENT_TYPES } from './config.ts';

export type EventType = (typeof EVENT_TYPES)[number];

/** How a file reached the store. */
export type UploadVia = 'multipart' | 'urlencoded' | 'resumable';

/** Who and what caused an event, as the route knows it. */
export interface EventOrigin {
  via?: UploadVia;
  /** The access key's id; null for an open service or a signed URL. */
  keyId: string | null;
}

export interface CreatedData {
  directory: string;
  filename: string;
  size: number;
  sha256: string;
  contentType: string;
  metadata: AudioMetadata | null;
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
