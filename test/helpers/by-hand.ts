import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { inject } from 'vitest';
import type { Config } from '../../src/config.ts';
import { ObjectKeys } from '../../src/storage/s3/object-keys.ts';
import { s3Client } from './s3.ts';

/** Files written or deleted beside the service, as an operator would: on the disk, or in the bucket with the SDK. */
export interface ByHand {
  put(directory: string, name: string, bytes: Uint8Array): Promise<void>;
  remove(directory: string, name: string): Promise<void>;
}

export function byHand(config: Config): ByHand {
  const { backend, root, s3 } = config.storage;
  if (backend === 'local')
    return {
      async put(directory, name, bytes) {
        await mkdir(path.join(root, directory), { recursive: true });
        await writeFile(path.join(root, directory, name), bytes);
      },
      remove: (directory, name) => rm(path.join(root, directory, name)),
    };
  const keys = new ObjectKeys(s3.prefix);
  const withClient = async (use: (client: S3Client) => Promise<unknown>) => {
    const client = s3Client(inject('rgw'));
    try {
      await use(client);
    } finally {
      client.destroy();
    }
  };
  return {
    put: (directory, name, bytes) =>
      withClient((client) => client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: keys.of({ directory, name }), Body: bytes }))),
    remove: (directory, name) =>
      withClient((client) => client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: keys.of({ directory, name }) }))),
  };
}
