import type { Upload } from '@tus/utils';
import type { MediaConfig } from '../../media/config.ts';
import { AppError } from '../../errors.ts';
import { validTarget } from '../../media/upload-service.ts';
import type { ObjectStore } from '../../storage/byte-store.ts';

/**
 * A creation request is judged at once, by the rules of POST /media, so that nothing is created
 * for an upload that could never be stored: the name (400), the extension (415, code 504), an
 * empty file (400, code 502), a file already there (409, code 501). The size limit (413) is
 * @tus/server's `maxSize`.
 */
export async function judgeCreation(store: ObjectStore, media: MediaConfig, upload: Upload): Promise<void> {
  const { directory, filename } = upload.metadata ?? {};
  if (directory == null || filename == null) {
    throw new AppError('MISSING_ARGUMENT', 'required argument missing: Upload-Metadata must carry directory and filename');
  }
  const target = validTarget(media, { directory, filename });
  if (upload.size === 0) throw new AppError('FILE_EMPTY', 'nothing to store: Upload-Length is 0');
  if (await store.head({ directory: target.directory, name: target.filename })) {
    throw new AppError('FILE_EXISTS', `file already exists: ${target.directory}/${target.filename}`);
  }
}
