import { AppError } from '../../errors.ts';

/** `Tus-Checksum-Algorithm`: what `Upload-Checksum` may name (tus 1.0 checksum extension). */
export const CHECKSUM_ALGORITHMS = ['sha1', 'sha256', 'md5'] as const;

/** A chunk's expected digest, from `Upload-Checksum: <algorithm> <base64 digest>`. */
export interface ChunkChecksum {
  algorithm: (typeof CHECKSUM_ALGORITHMS)[number];
  digest: string;
}

/** Parses the header; undefined when absent. A malformed one is 400 (tus: "400 Bad Request"). */
export function parseChecksumHeader(value: string | undefined): ChunkChecksum | undefined {
  if (value === undefined) return undefined;
  const match = /^\s*([a-z0-9-]+) ([A-Za-z0-9+/]+={0,2})\s*$/.exec(value);
  if (!match) throw new AppError('INVALID_ARGUMENT', 'invalid argument: Upload-Checksum must be "<algorithm> <base64 digest>"');
  const algorithm = match[1] as ChunkChecksum['algorithm'];
  if (!CHECKSUM_ALGORITHMS.includes(algorithm)) {
    throw new AppError(
      'INVALID_ARGUMENT',
      `invalid argument: checksum algorithm '${algorithm}' is not one of ${CHECKSUM_ALGORITHMS.join(', ')}`,
    );
  }
  return { algorithm, digest: match[2]! };
}
