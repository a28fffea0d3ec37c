import type { Principal } from '../access/principal.ts';
import type { EventOrigin, UploadVia } from './event-hook.ts';

/** The origin of a request's events: its key's id (null for an open service or a signed URL). */
export function originOf(principal: Principal, via?: UploadVia): EventOrigin {
  return { via, keyId: principal.kind === 'key' ? principal.key.id : null };
}
