import { z } from 'zod';

/**
 * Starts with a letter or digit of any script; then also combining marks (needed by many scripts,
 * e.g. Devanagari), spaces, `_`, `.` and `-`; 1..32 UTF-16 units. No controls, no invisible format
 * characters (such as bidi overrides), no markup characters.
 */
export const nicknameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(32, 'must be at most 32 characters')
  .regex(/^[\p{L}\p{N}][\p{L}\p{M}\p{N} _.-]*$/u, 'may hold letters, digits, spaces, "_", "." and "-"');

/** Like a nickname without spaces. */
export const roomSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(32, 'must be at most 32 characters')
  .regex(/^[\p{L}\p{N}][\p{L}\p{M}\p{N}_.-]*$/u, 'may hold letters, digits, "_", "." and "-"');

export const DEFAULT_ROOM = 'lobby';

/** The query of the connect URL `/chat/ws?name=<nickname>&room=<room>`; an empty value counts as absent. */
export const connectQuerySchema = z.object({
  name: z.preprocess(emptyToUndefined, nicknameSchema.optional()),
  room: z.preprocess(emptyToUndefined, roomSchema.default(DEFAULT_ROOM)),
});

function emptyToUndefined(value: unknown): unknown {
  return value === '' || value === null ? undefined : value;
}

/** What a client may send. */
export const clientEventSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('message'),
      text: z.string().refine((text) => text.trim().length > 0, 'must not be blank'),
    })
    .strict(),
]);

/** Broadcast to every member of a room, the author included. `at` is an ISO 8601 UTC time. */
export const roomEventSchema = z
  .object({
    type: z.enum(['join', 'message', 'leave']),
    room: z.string(),
    from: z.string(),
    text: z.string(),
    at: z.iso.datetime(),
  })
  .strict();

/** Sent once to a new member before its own join: the room's last messages, oldest first. */
export const historyEventSchema = z
  .object({
    type: z.literal('history'),
    room: z.string(),
    messages: z.array(roomEventSchema),
  })
  .strict();

export const errorCodes = ['invalid_name', 'invalid_room', 'invalid_message', 'rate_limited', 'room_busy'] as const;

/** Sent to one client only: something it did was refused. */
export const errorEventSchema = z
  .object({
    type: z.literal('error'),
    code: z.enum(errorCodes),
    text: z.string(),
  })
  .strict();

export const serverEventSchema = z.discriminatedUnion('type', [roomEventSchema, historyEventSchema, errorEventSchema]);

export type ClientEvent = z.infer<typeof clientEventSchema>;
export type RoomEvent = z.infer<typeof roomEventSchema>;
export type HistoryEvent = z.infer<typeof historyEventSchema>;
export type ErrorEvent = z.infer<typeof errorEventSchema>;
export type ServerEvent = z.infer<typeof serverEventSchema>;
export type ErrorCode = (typeof errorCodes)[number];

export function roomEvent(type: RoomEvent['type'], room: string, from: string, text: string): RoomEvent {
  return { type, room, from, text, at: new Date().toISOString() };
}

export function errorEvent(code: ErrorCode, text: string): ErrorEvent {
  return { type: 'error', code, text };
}

/** Parses one text frame; the first issue becomes the reason a client sees. */
export function parseClientEvent(data: string): { ok: true; event: ClientEvent } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const result = clientEventSchema.safeParse(json);
  if (result.success) return { ok: true, event: result.data };
  return { ok: false, reason: describeIssue(result.error.issues[0]) };
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'invalid';
  const key = issue.path.join('.');
  return key ? `${key}: ${issue.message}` : issue.message;
}
