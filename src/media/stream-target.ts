import type { Request } from 'express';
import type { Access } from '../access/access.ts';
import { contentLengthOf } from '../http/content-length.ts';
import type { ByteStore, StreamingStore } from '../storage/byte-store.ts';
import type { ContentInspector } from './content-inspector.ts';
import type { MediaConfig } from './config.ts';
import type { EventHook } from './event-hook.ts';
import type { PartStreaming } from './multipart.ts';
import type { MediaPath } from './schemas.ts';
import { StreamPublish } from './stream-publish.ts';
import { validTarget } from './upload-service.ts';

/**
 * When POST /media streams a file part into the store instead of staging it: the store takes
 * streams, the request says it is at least a part long (Content-Length: a chunked body stages),
 * and the part's target is known as it starts, that is a `directory` field came before it (one
 * after it would be the file's directory). A target the staged path would refuse (a bad name, a key
 * without the right) stages too, so that path gives the very answer it gives today. Signed
 * upload URLs keep staging: their target is settled only once the whole form is read.
 */
export function partStreaming(
  media: MediaConfig,
  { store, inspector, access, events }: { store: ByteStore; inspector: ContentInspector; access: Access; events?: EventHook },
): PartStreaming | undefined {
  if (!isStreaming(store)) return undefined;
  const publish = new StreamPublish(store, inspector, { verifyContent: media.verifyContent }, events);
  const targetOf = (req: Request, file: Express.Multer.File): MediaPath | undefined => {
    const length = contentLengthOf(req.headers['content-length']);
    const directory = (req.body as Record<string, unknown> | undefined)?.directory;
    if (length === undefined || length < publish.streamFrom || typeof directory !== 'string' || !req.res) return undefined;
    const principal = access.principal(req.res);
    if (principal.kind === 'signature') return undefined;
    const target = { directory, filename: file.originalname };
    return mayStore(() => {
      const valid = validTarget(media, target);
      access.mayStore(principal, valid, length);
      return valid;
    });
  };
  return { publish, targetOf };
}

export function isStreaming(store: ByteStore): store is ByteStore & StreamingStore {
  return typeof (store as Partial<StreamingStore>).stream === 'function';
}

/** The check's target, or undefined when it throws: the staged path then answers its error. */
function mayStore(check: () => MediaPath): MediaPath | undefined {
  try {
    return check();
  } catch {
    return undefined;
  }
}
