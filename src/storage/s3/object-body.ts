import type { Readable } from 'node:stream';
import { GetObjectCommand, type GetObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
import { idleBounded } from './idle-body.ts';

/**
 * GetObject's body as a stream. The deadline runs until the answer's head arrives; the body then
 * streams at the reader's pace, and fails (TimeoutError) when the gateway, not the reader, pauses
 * it for as long. The SDK's errors are the caller's to map.
 */
export async function objectBody(client: S3Client, input: GetObjectCommandInput, timeoutMs: number): Promise<Readable> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('timed out', 'TimeoutError')), timeoutMs);
  try {
    const answer = await client.send(new GetObjectCommand(input), { abortSignal: controller.signal });
    return idleBounded(answer.Body as Readable, timeoutMs);
  } finally {
    clearTimeout(timer);
  }
}
