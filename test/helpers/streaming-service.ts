import { GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { expect } from 'vitest';
import { startService, type RunningService } from './app.ts';
import type { RgwEndpoint } from './ceph-rgw.ts';
import { multipartBody } from './media.ts';
import { freshBucket, s3Client } from './s3.ts';
import { startS3Recorder, type S3Recorder } from './s3-recorder.ts';
import { s3Backend } from './s3-service.ts';
import { waitFor } from './wait.ts';

/** storage.s3.partSize of the service (S3's smallest), its queueSize and media.maxFileSize. */
export const PART = 5 * 1024 * 1024;
export const QUEUE = 2;
export const MAX_FILE_SIZE = 8 * PART;

/** A WAV header and `size - 44` bytes of 16-bit stereo noise. */
export function noiseWav(size: number): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFFxxxxWAVEfmt ', 0, 'latin1');
  header.writeUInt32LE(size - 8, 4);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(2, 22);
  header.writeUInt32LE(44_100, 24);
  header.writeUInt32LE(44_100 * 4, 28);
  header.writeUInt16LE(4, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(size - 44, 40);
  return Buffer.concat([header, randomBytes(size - 44)]);
}

/** A form whose `directory` field comes before its one file: the part's target is known as it starts. */
export const form = (directory: string, filename: string, bytes: Buffer) =>
  multipartBody([
    { name: 'directory', body: directory },
    { name: 'file', filename, body: bytes },
  ]);

/** The service on a fresh bucket of the test gateway, through a recorder, and what tests look at. */
export async function startStreamingService(rgw: RgwEndpoint) {
  const client = s3Client(rgw);
  const bucket = await freshBucket(rgw);
  const recorder: S3Recorder = await startS3Recorder(rgw.endpoint);
  const service: RunningService = await startService({
    ...s3Backend(rgw, bucket, { endpoint: recorder.url, partSize: PART, queueSize: QUEUE }),
    media: { maxFileSize: MAX_FILE_SIZE },
  });
  // The start-up probe makes a multipart upload of its own: counting starts after it.
  await waitFor('the completion probe', () => service.logs.some((line) => line.msg.startsWith('no-replace of multipart uploads')));
  const incomingDir = path.join(service.root, '.incoming');
  const pendingUploads = async () => (await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];
  const incoming = () => readdir(incomingDir, { recursive: true }).catch((): string[] => []);
  return {
    service,
    recorder,
    pendingUploads,
    pendingKeys: async () => (await pendingUploads()).map((upload) => upload.Key),
    /** Names under the staging directory. */
    incoming,
    /** Bytes under the staging directory now. */
    async stagedBytes() {
      const sizes = await Promise.all(
        (await incoming()).map((name) =>
          stat(path.join(incomingDir, name)).then(
            (s) => (s.isFile() ? s.size : 0),
            () => 0,
          ),
        ),
      );
      return sizes.reduce((a, b) => a + b, 0);
    },
    /** The sha256 of the object as the SDK reads it back. */
    async objectSha256(Key: string) {
      const hash = createHash('sha256');
      for await (const chunk of (await client.send(new GetObjectCommand({ Bucket: bucket, Key }))).Body as Readable)
        hash.update(chunk as Buffer);
      return hash.digest('hex');
    },
    absent: (Key: string) =>
      expect(client.send(new HeadObjectCommand({ Bucket: bucket, Key }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } }),
    async close() {
      await service.close();
      await recorder.close();
      client.destroy();
    },
  };
}

export type StreamingService = Awaited<ReturnType<typeof startStreamingService>>;
