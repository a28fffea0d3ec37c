import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Attributes } from '../byte-store.ts';
import type { ObjectKeys } from './object-keys.ts';
import { fromUserMetadata, multipartUploadOf, parseAttributes, type ObjectMetadata } from './object-metadata.ts';
import { isNotFound, isPreconditionFailed } from './s3-errors.ts';

/** An object as HeadObject (and what the store wrote with it) describes it. */
export interface Described {
  size: number;
  sha256: string;
  modified: Date;
  /** The ETag: names this version of the bytes. */
  version: string;
  attributes?: Attributes;
  /** The staged upload that wrote it ('' for an object written by other means). */
  upload: string;
}

type Known = Pick<Described, 'sha256' | 'attributes'>;
/** Versions whose sha256 and attributes this process knows: a listing then needs no HEAD for them. */
const KNOWN_LIMIT = 10_000;

/** What the store learnt of a foreign object's version, kept in its sidecar. */
interface Sidecar extends Known {
  key: string;
  version: string;
}

/**
 * Reads an object's description: its metadata from HeadObject, attributes too large for a
 * header from their own object, and for an object without the store's metadata (a foreign one,
 * written by another S3 client) its sha256 by reading it once. What it learns is kept per version
 * (key and ETag), which never changes: in memory, and for foreign objects in a sidecar object of
 * the store's own (`.described/`), never in the foreign object itself, which the store does not write.
 */
export class ObjectDescriber {
  private readonly known = new Map<string, Known>();

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly keys: ObjectKeys,
    private readonly deadline: (signal?: AbortSignal) => AbortSignal,
  ) {}

  remember(key: string, version: string, known: Known): void {
    if (this.known.size >= KNOWN_LIMIT) this.known.delete(this.known.keys().next().value!);
    this.known.set(`${key}\0${version}`, known);
  }

  /** What this process already knows of a version (from listing: key, ETag). */
  recall(key: string, version: string): Known | undefined {
    return this.known.get(`${key}\0${version}`);
  }

  async head(key: string): Promise<Described | undefined> {
    let answer;
    try {
      answer = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: this.deadline() });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    const version = (answer.ETag ?? '').replace(/^"|"$/g, '');
    const base = { size: answer.ContentLength ?? 0, modified: answer.LastModified ?? new Date(0), version };
    const mine = fromUserMetadata(answer.Metadata);
    const multipart = multipartUploadOf(answer.Metadata);
    const known =
      this.recall(key, version) ??
      (mine ? { sha256: mine.sha256, attributes: await this.attributesIn(mine) } : undefined) ??
      (multipart === undefined ? undefined : await this.multipartMetadataOf(multipart)) ??
      (await this.sidecarOf(key, version));
    if (known) {
      this.remember(key, version, known);
      return { ...base, ...known, upload: mine?.upload ?? multipart ?? '' };
    }
    const sha256 = await this.hashOf(key, version);
    if (sha256 === undefined) return undefined;
    this.remember(key, version, { sha256 });
    return { ...base, sha256, upload: '' };
  }

  /**
   * Keeps attributes with one version of an object: in memory, and for a foreign object in its
   * sidecar (the store's own metadata is written once, by the PUT, and never rewritten).
   */
  async annotate(key: string, version: string, attributes: Attributes): Promise<void> {
    const known = this.recall(key, version);
    if (!known) return;
    this.remember(key, version, { ...known, attributes });
    const sidecar: Sidecar = { key, version, sha256: known.sha256, attributes };
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.keys.described(key),
        Body: JSON.stringify(sidecar),
        ContentType: 'application/json',
      }),
      { abortSignal: this.deadline() },
    );
  }

  /** What an earlier look at this version of a foreign object found; undefined when none, or for another version. */
  private async sidecarOf(key: string, version: string): Promise<Known | undefined> {
    let text: string;
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keys.described(key) }), {
        abortSignal: this.deadline(),
      });
      text = await answer.Body!.transformToString();
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    const sidecar = parseAttributes(text) as Partial<Sidecar> | undefined;
    if (sidecar?.key !== key || sidecar.version !== version || typeof sidecar.sha256 !== 'string') return undefined;
    return { sha256: sidecar.sha256, ...(sidecar.attributes === undefined ? {} : { attributes: sidecar.attributes }) };
  }

  /** The sha256 and attributes a multipart upload wrote before completing; undefined when it wrote none. */
  private async multipartMetadataOf(upload: string): Promise<Known | undefined> {
    let text: string;
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keys.multipartMetadata(upload) }), {
        abortSignal: this.deadline(),
      });
      text = await answer.Body!.transformToString();
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    const written = parseAttributes(text) as Partial<Known> | undefined;
    if (typeof written?.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(written.sha256)) return undefined;
    return { sha256: written.sha256, ...(written.attributes === undefined ? {} : { attributes: written.attributes }) };
  }

  private async attributesIn(metadata: ObjectMetadata): Promise<Attributes | undefined> {
    return metadata.attributesRef === undefined ? metadata.attributes : this.attributesOf(metadata.attributesRef);
  }

  private async attributesOf(ref: string): Promise<Attributes | undefined> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keys.attributes(ref) }), {
        abortSignal: this.deadline(),
      });
      return parseAttributes(await answer.Body!.transformToString());
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** The digest of an object written by other means, read in whole once; undefined when it is gone or changed. */
  private async hashOf(key: string, version: string): Promise<string | undefined> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, IfMatch: version }), {
        abortSignal: this.deadline(),
      });
      const hash = createHash('sha256');
      await pipeline(answer.Body as Readable, hash);
      return hash.digest('hex');
    } catch (error) {
      if (isNotFound(error) || isPreconditionFailed(error)) return undefined;
      throw error;
    }
  }
}
