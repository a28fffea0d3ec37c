import { createHash } from 'node:crypto';
import type { Attributes } from '../byte-store.ts';

/**
 * What travels with an object's bytes in the same conditional PUT, as S3 user metadata
 * (`x-amz-meta-*`; S3 gives the names back lower-case). `upload` names the staged upload that
 * wrote it, so a writer whose PUT was retried can tell its own object from a rival's.
 */
export interface ObjectMetadata {
  sha256: string;
  upload: string;
  /** The attributes themselves, or (when too large for a header) the name of the object holding them. */
  attributes?: Attributes;
  attributesRef?: string;
}

/**
 * AWS S3 allows 2 KiB of user metadata per object (names and values): attributes larger than
 * this go to a content-addressed object written before the conditional PUT that names it.
 */
export const INLINE_ATTRIBUTES_LIMIT = 1536;

/** Header values are ASCII: JSON with every non-ASCII character escaped stays readable and exact. */
export function encodeAttributes(attributes: Attributes): string {
  return JSON.stringify(attributes).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The name of the object holding attributes too large to travel inline. */
export function attributesRefOf(encoded: string): string {
  return createHash('sha256').update(encoded).digest('hex');
}

export function toUserMetadata(metadata: ObjectMetadata, encoded?: string): Record<string, string> {
  const out: Record<string, string> = { sha256: metadata.sha256, upload: metadata.upload };
  if (metadata.attributesRef !== undefined) out['attributes-ref'] = metadata.attributesRef;
  else if (encoded !== undefined) out.attributes = encoded;
  return out;
}

/** How the store names its staged uploads (`<pid>-<uuid>`), as `upload` carries it. */
const UPLOAD = /^\d+-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The store's metadata of an object; undefined for one written by something else. Another S3
 * client may set its own `x-amz-meta-sha256` (a tool's, or a wrong one): alone it proves nothing
 * of the bytes, so only the pair the store's conditional PUT writes (sha256 and the name of the
 * upload it hashed) counts; a foreign object's digest is the store's own reading of its bytes.
 */
export function fromUserMetadata(meta: Record<string, string> | undefined): ObjectMetadata | undefined {
  const sha256 = meta?.sha256;
  if (meta === undefined || sha256 === undefined || !/^[0-9a-f]{64}$/.test(sha256) || !UPLOAD.test(meta.upload ?? '')) return undefined;
  const result: ObjectMetadata = { sha256, upload: meta.upload! };
  if (meta['attributes-ref'] !== undefined) result.attributesRef = meta['attributes-ref'];
  else if (meta.attributes !== undefined) result.attributes = parseAttributes(meta.attributes);
  return result;
}

/**
 * The upload that wrote a multipart object, whose user metadata (fixed at CreateMultipartUpload,
 * before the digest is known) names the upload but carries no sha256: the digest and attributes
 * are in the metadata object that upload wrote before completing.
 */
export function multipartUploadOf(meta: Record<string, string> | undefined): string | undefined {
  const upload = meta?.upload;
  return meta?.sha256 === undefined && upload !== undefined && UPLOAD.test(upload) ? upload : undefined;
}

export function parseAttributes(text: string): Attributes | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Attributes) : undefined;
  } catch {
    return undefined;
  }
}
