import type { MediaPath } from './schemas.ts';

/** The download path of a stored file; each segment percent-encoded, so any name stays one segment. */
export function mediaUrlPath({ directory, filename }: MediaPath): string {
  return `/media/${[...directory.split('/'), filename].map(encodeURIComponent).join('/')}`;
}
