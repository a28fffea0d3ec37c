import type { Request } from 'express';
import type { UploadCandidate } from './upload-service.ts';
import type { SignedClaims } from '../access/url-signer.ts';

/**
 * The files of a POST /media sent to a signed upload URL: the signature names the target, so a
 * plain HTML form needs no fields besides the file (the part's own file name, the name on the
 * sender's disk, is not the target). A `directory` or `filename` field, when sent, must name the
 * same target: Access.mayStore refuses it otherwise (403).
 */
export function signedUploadCandidates(claims: SignedClaims, req: Request, candidates: UploadCandidate[]): UploadCandidate[] {
  if (req.is('multipart/form-data')) {
    const fields = (req.body ?? {}) as Record<string, unknown>;
    const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
    return candidates.map((candidate) => ({
      ...candidate,
      directory: text(fields.directory) ?? claims.dir,
      filename: text(fields.filename) ?? claims.name,
    }));
  }
  // urlencoded: readUrlencodedUpload already took the signature's target for a field not sent.
  return candidates;
}
