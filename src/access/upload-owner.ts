import type { Upload } from '@tus/utils';
import { AppError } from '../errors.ts';
import type { Access } from './access.ts';
import { tusPrincipal, type Principal } from './principal.ts';

/** The Upload-Metadata key that records who created a resumable upload; a client's own value is replaced. */
export const OWNER_KEY = 'owner';
/** The key id an upload's owner value names; null for a signed URL's upload or an open service's. */
export function ownerKeyId(owner: string | null | undefined): string | null {
  return owner?.startsWith('key:') ? owner.slice('key:'.length) : null;
}

/** The owner of an upload created through a signed URL: its 128-bit id is the capability from then on. */
const SIGNED = 'signature';

/**
 * Who may create and continue resumable uploads (tus-node-server's hooks call these). An upload
 * belongs to the key that created it: another key cannot HEAD, PATCH or DELETE it. One created
 * through a signed upload URL is finished by its upload URL alone, after the signature expired
 * too (a tus client never sends the creation's query string again), until the upload expires.
 */
export class UploadOwnership {
  constructor(private readonly access: Access) {}

  /** onUploadCreate: whether the request may create this upload; the metadata to keep, owner stamped. */
  created(upload: Upload): Upload['metadata'] {
    const { [OWNER_KEY]: _claimed, ...metadata } = upload.metadata ?? {};
    const { directory, filename } = metadata;
    const principal = current();
    if (principal.kind === 'signature') {
      if (typeof directory === 'string' && typeof filename === 'string') {
        this.access.mayStore(principal, { directory, filename }, upload.size ?? Number.POSITIVE_INFINITY);
      } else this.access.mayStartUpload(principal);
      return { ...metadata, [OWNER_KEY]: SIGNED };
    }
    this.access.mayStartUpload(principal);
    if (principal.kind !== 'key') return metadata;
    if (typeof directory === 'string') this.access.requireKey(principal, 'write', directory);
    return { ...metadata, [OWNER_KEY]: `key:${principal.key.id}` };
  }

  /** Whether `continued` has anything to judge: an open service lets everyone continue, without reading the upload. */
  get judging(): boolean {
    return current().kind !== 'open';
  }

  /** onIncomingRequest (HEAD, PATCH, DELETE, GET of one upload): `upload` undefined when there is none (tus answers 404). */
  continued(id: string, upload: Upload | undefined): void {
    if (!upload) return;
    const owner = upload.metadata?.[OWNER_KEY];
    const principal = current();
    if (owner === SIGNED || principal.kind === 'open') return;
    if (owner?.startsWith('key:')) {
      if (principal.kind === 'key' && principal.key.id === owner.slice('key:'.length)) return;
      if (principal.kind === 'anonymous') throw new AppError('UNAUTHORIZED');
      throw new AppError('FORBIDDEN', `forbidden: upload ${id} belongs to another key`);
    }
    // Created while the service was open: any key that may write there.
    const directory = upload.metadata?.directory;
    this.access.requireKey(principal, 'write', typeof directory === 'string' ? directory : '');
  }
}

function current(): Principal {
  return tusPrincipal.getStore() ?? { kind: 'anonymous' };
}
