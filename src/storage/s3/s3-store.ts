import { createReadStream } from 'node:fs';
import path from 'node:path';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { AppError } from '../../errors.ts';
import { objectVanished, type ByteSource, type ByteStore, type StagedBytes } from '../byte-store.ts';
import type { PoolStats } from '../../worker-pool.ts';
import type { StreamedObject, StreamingStore } from '../byte-store.ts';
import type { PartedStore } from '../parted-store.ts';
import type { Attributes, ByteRange, ListOptions, ObjectKey, ObjectPage, OpenedObject, StoredObject } from '../byte-store.ts';
import { OutcomeUnknown, putIfAbsent } from './conditional-put.ts';
import { ObjectDescriber, type Described } from './object-describer.ts';
import { ObjectKeys } from './object-keys.ts';
import { attributesRefOf, encodeAttributes, INLINE_ATTRIBUTES_LIMIT, toUserMetadata, type ObjectMetadata } from './object-metadata.ts';
import { createS3Client } from './s3-client.ts';
import { MAX_SINGLE_PUT_BYTES } from './s3-config.ts';
import { isNotFound, isPreconditionFailed, outcomeUnknown, unavailable } from './s3-errors.ts';
import { listDirectory } from './s3-listing.ts';
import { objectBody } from './object-body.ts';
import { privateArea } from '../private-area.ts';
import { StagingPart } from '../staging/staging-part.ts';
import { StagingArea } from '../staging/staging-area.ts';
import { SubdirectoryCache } from './subdirectory-cache.ts';
import { UnsettledPuts } from './unsettled-puts.ts';
import { probeCompletionCondition } from './completion-condition-probe.ts';
import { MultipartStreams } from './multipart-streams.ts';
import { ProcessLocker } from '../../lockers/process-locker.ts';
import {
  DEFAULT_LOCK_TIMEOUT_MS,
  DEFAULT_PART_SIZE,
  DEFAULT_QUEUE_SIZE,
  STORED_SOURCE_KEEP_MS,
  type S3StoreOptions,
} from './s3-store-options.ts';

export type { S3StoreOptions } from './s3-store-options.ts';

/**
 * ByteStore on an S3-compatible bucket (AWS S3, MinIO, Ceph RGW): bytes are staged and hashed on
 * this host, then published with one conditional PutObject (`If-None-Match: *`, so an existing
 * object is never replaced) that carries their sha256 and the attributes as user metadata; large
 * files stream in as multipart uploads instead (`stream`, and a staged file over one PUT's limit).
 * Several hosts may share the bucket. An attribute `contentType` (a string) also becomes the
 * object's Content-Type, so the bucket serves the bytes right to other readers. Any failure of
 * the bucket is code 505 (STORAGE_UNAVAILABLE); each call is retried by its next request.
 */
export class S3Store extends StagingPart implements ByteStore, StreamingStore {
  private readonly keys: ObjectKeys;
  private readonly describer: ObjectDescriber;
  private readonly subdirectories = new SubdirectoryCache();
  private readonly streams: MultipartStreams;
  private probing: Promise<void> | undefined;

  private constructor(
    private readonly client: S3Client,
    private readonly putClient: S3Client,
    staging: StagingArea,
    private readonly unsettled: UnsettledPuts,
    private readonly options: S3StoreOptions,
  ) {
    super(staging);
    this.keys = new ObjectKeys(options.prefix);
    this.describer = new ObjectDescriber(client, options.bucket, this.keys, (signal) => this.deadline(signal));
    const queueSize = options.queueSize ?? DEFAULT_QUEUE_SIZE;
    this.streams = new MultipartStreams({
      client,
      streamClient: putClient,
      directory: staging.dir,
      bucket: options.bucket,
      keys: this.keys,
      locker: options.locker ?? new ProcessLocker(DEFAULT_LOCK_TIMEOUT_MS),
      timeoutMs: options.timeoutMs,
      partSize: this.streamFrom,
      queueSize,
      partsInFlight: options.partsInFlight ?? 2 * queueSize,
      fail: (error) => this.fail(error),
      made: (Key, version, described) => {
        this.describer.remember(Key, version, described);
        this.subdirectories.touched(Key);
      },
    });
  }

  static async open(options: S3StoreOptions): Promise<S3Store> {
    const staging = await StagingArea.open(options.stagingDir, { flush: false });
    // Staged files of processes that are gone can never be committed.
    await staging.sweep(Number.POSITIVE_INFINITY, true);
    const unsettled = await UnsettledPuts.open(await privateArea(path.dirname(options.stagingDir), 's3-unsettled'));
    const common = {
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      timeoutMs: options.timeoutMs,
      maxSockets: options.maxSockets ?? 64,
    };
    const store = new S3Store(
      createS3Client({ ...common, maxAttempts: 2 }),
      createS3Client({ ...common, maxAttempts: 1 }),
      staging,
      unsettled,
      options,
    );
    // A bucket that is unreachable now is reported by ready(); the service starts anyway.
    const problems = await store.ready();
    // In the background: the start does not wait for the probe's five requests (close() does).
    const report = options.onCompletionCondition;
    if (report) {
      const probing =
        problems.length === 0 ? probeCompletionCondition(store.client, options.bucket, store.keys, options.timeoutMs) : undefined;
      store.probing = Promise.resolve(probing).then(report);
    }
    return store;
  }

  /** `<storage.root>/.<area>` on this host, beside the staging directory (never in the bucket). */
  async privateDirectory(area: string): Promise<string> {
    return privateArea(path.dirname(this.options.stagingDir), area);
  }

  async commit(staged: StagedBytes, key: ObjectKey, attributes: Attributes): Promise<StoredObject> {
    const held = this.staging.get(staged.id) ?? (await this.staging.adopt(staged.id));
    if (!held) throw new Error(`staged upload ${staged.id} is gone`);
    try {
      // One PutObject carries at most 5 GiB: a larger staged file goes as a multipart upload.
      if (held.size > (this.options.maxPutBytes ?? MAX_SINGLE_PUT_BYTES))
        return await this.commitStream(
          held.bytes ? Readable.from([Buffer.from(held.bytes)]) : createReadStream(held.file),
          key,
          attributes,
        );
      const sha256 = await this.staging.sha256(held);
      const encoded = encodeAttributes(attributes);
      const metadata: ObjectMetadata = { sha256, upload: held.id };
      if (encoded.length > INLINE_ATTRIBUTES_LIMIT) metadata.attributesRef = await this.putAttributes(encoded);
      const contentType = typeof attributes.contentType === 'string' ? attributes.contentType : undefined;
      const { putClient: client, describer, unsettled } = this;
      const version = await putIfAbsent(
        { client, describer, unsettled, bucket: this.options.bucket, timeoutMs: this.options.timeoutMs },
        { key: this.keys.of(key), held, sha256, metadata: toUserMetadata(metadata, encoded), contentType },
      ).catch((error: unknown) => {
        if (error instanceof OutcomeUnknown) throw outcomeUnknown(error.cause, this.options.bucket);
        return this.fail(error);
      });
      this.describer.remember(this.keys.of(key), version, { sha256, attributes });
      this.subdirectories.touched(this.keys.of(key));
      return { key: { ...key }, size: held.size, sha256, modified: new Date(), version, attributes };
    } finally {
      await this.staging.discard(held.id);
    }
  }

  /** Files from one part up go as multipart uploads (stream); smaller ones as one conditional PutObject (commit). */
  get streamFrom(): number {
    return this.options.partSize ?? DEFAULT_PART_SIZE;
  }

  /** See MultipartStreams. */
  stream(body: AsyncIterable<Buffer>, key: ObjectKey, contentType: string | undefined, signal?: AbortSignal): Promise<StreamedObject> {
    return this.streams.stream(body, key, contentType, signal);
  }

  /** Multipart uploads built a part at a time across requests and hosts (resumable uploads): see MultipartStreams. */
  get parted(): PartedStore {
    return this.streams;
  }

  /** stream, then complete: a body made the object at `key` as it arrives. A failure leaves nothing in the bucket. */
  async commitStream(body: AsyncIterable<Buffer>, key: ObjectKey, attributes: Attributes, signal?: AbortSignal): Promise<StoredObject> {
    const contentType = typeof attributes.contentType === 'string' ? attributes.contentType : undefined;
    return (await this.stream(body, key, contentType, signal)).complete(attributes);
  }

  async head(key: ObjectKey): Promise<StoredObject | undefined> {
    const found = await this.describer.head(this.keys.of(key)).catch((error: unknown) => this.fail(error));
    return found && objectOf(key, found);
  }

  /**
   * The read asks for the very version described (If-Match its ETag): an object deleted or
   * replaced in between is not found, so the bytes served always belong to the ETag answered.
   */
  async open(key: ObjectKey): Promise<OpenedObject | undefined> {
    const object = await this.head(key);
    return object && { ...object, read: async (range) => (await this.get(key, range, object.version)) ?? vanished(key) };
  }

  /** The object's bytes, or one range of them (GetObject); undefined when there is none (or not that version). */
  private async get(key: ObjectKey, range?: ByteRange, version?: string): Promise<Readable | undefined> {
    const input = {
      Bucket: this.options.bucket,
      Key: this.keys.of(key),
      Range: range && `bytes=${range.start}-${range.end}`,
      IfMatch: version,
    };
    try {
      return await objectBody(this.client, input, this.options.timeoutMs);
    } catch (error) {
      if (isNotFound(error) || isPreconditionFailed(error)) return undefined;
      throw this.unavailable(error);
    }
  }

  async storedSource(key: ObjectKey): Promise<ByteSource | undefined> {
    const stream = await this.get(key);
    if (!stream) return undefined;
    // Objects without the store's metadata (copied into the bucket by other means) are read in
    // whole to be inspected once; their attributes are then kept with them (annotate).
    return this.staging.copy(stream, STORED_SOURCE_KEEP_MS).catch((error: unknown) => this.fail(error));
  }

  async annotate(key: ObjectKey, version: string, attributes: Attributes): Promise<void> {
    await this.describer.annotate(this.keys.of(key), version, attributes).catch((error: unknown) => this.fail(error));
  }

  async list(directory: string, options: ListOptions): Promise<ObjectPage | undefined> {
    const { client, describer, keys, subdirectories } = this;
    const context = { client, describer, keys, subdirectories, bucket: this.options.bucket, deadline: () => this.deadline() };
    return listDirectory(context, directory, options).catch((error: unknown) => this.fail(error));
  }

  async remove(key: ObjectKey): Promise<boolean> {
    const Key = this.keys.of(key);
    try {
      // DeleteObject answers 204 for a missing key too: the HEAD says whether there was one.
      await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key }), { abortSignal: this.deadline() });
      await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key }), { abortSignal: this.deadline() });
      this.subdirectories.touched(Key);
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw this.unavailable(error);
    }
  }

  /** Problems that keep the store from working: staging not writable, the bucket unreachable or missing. */
  async ready(): Promise<string[]> {
    const problems: string[] = [];
    if (
      !(await this.staging.probe().then(
        () => true,
        () => false,
      ))
    )
      problems.push('staging directory not writable');
    const Bucket = this.options.bucket;
    try {
      await this.client.send(new HeadBucketCommand({ Bucket }), { abortSignal: this.deadline() });
    } catch (error) {
      if (isNotFound(error) && this.options.createBucket) {
        await this.client.send(new CreateBucketCommand({ Bucket }), { abortSignal: this.deadline() }).catch(() => undefined);
        return this.ready();
      }
      problems.push(isNotFound(error) ? `storage unavailable: bucket '${Bucket}' does not exist` : this.unavailable(error).message);
    }
    return problems;
  }

  stats(): PoolStats {
    return { queueSize: 0, utilization: 0, threads: 0 };
  }

  async close(): Promise<void> {
    await this.probing;
    await this.staging.close();
    this.client.destroy();
    this.putClient.destroy();
    this.options.closeLocker?.();
  }

  /** Attributes too large for a header, in a content-addressed object the PUT then names. */
  private async putAttributes(encoded: string): Promise<string> {
    const ref = attributesRefOf(encoded);
    const put = new PutObjectCommand({
      Bucket: this.options.bucket,
      Key: this.keys.attributes(ref),
      Body: encoded,
      ContentType: 'application/json',
    });
    await this.client.send(put, { abortSignal: this.deadline() }).catch((error: unknown) => this.fail(error));
    return ref;
  }

  private deadline(signal?: AbortSignal): AbortSignal {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    return signal ? AbortSignal.any([signal, timeout]) : timeout;
  }

  private unavailable(error: unknown): AppError {
    return error instanceof AppError ? error : unavailable(error, this.options.bucket);
  }

  private fail(error: unknown): never {
    throw this.unavailable(error);
  }
}

function objectOf(key: ObjectKey, found: Described): StoredObject {
  return {
    key: { directory: key.directory, name: key.name },
    size: found.size,
    sha256: found.sha256,
    modified: found.modified,
    version: found.version,
    ...(found.attributes === undefined ? {} : { attributes: found.attributes }),
  };
}

/** Deleted or replaced between its description and its read: for the reader, not found. */
function vanished(key: ObjectKey): never {
  throw objectVanished(key);
}
