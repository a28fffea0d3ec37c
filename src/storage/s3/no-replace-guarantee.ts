/**
 * The start-up log line that says which no-replace guarantee holds for multipart uploads on this
 * bucket (README "No-replace on S3"), from the probe's finding: whether the engine refuses
 * CompleteMultipartUpload with `If-None-Match: *` over an existing object (undefined: not asked).
 * Apart from the probe so that the service logs it without loading the AWS SDK.
 */
export function noReplaceGuarantee(enforced: boolean | undefined): string {
  if (enforced === true) return 'no-replace of multipart uploads: enforced by the bucket against every writer';
  if (enforced === false)
    return "no-replace of multipart uploads: among the service's hosts only (the bucket ignores If-None-Match on completion)";
  return "no-replace of multipart uploads: among the service's hosts; the bucket could not be probed";
}
