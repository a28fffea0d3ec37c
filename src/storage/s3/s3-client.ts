import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import http from 'node:http';
import https from 'node:https';

export interface S3ClientOptions {
  /** Absent for AWS itself; e.g. `http://127.0.0.1:7480` for a Ceph RADOS Gateway or MinIO. */
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  /** Connecting, and any pause of a request or answer in flight, longer than this fails the call. */
  timeoutMs: number;
  /** Sockets kept open to the gateway: bounds the parallel requests of this process. */
  maxSockets: number;
  /**
   * 2 retries a dropped connection or a 5xx once. The client for uploads gets 1: a body streamed
   * from a file cannot be sent twice, and the store decides itself what a failed PUT means.
   */
  maxAttempts: number;
}

/**
 * The SDK client for one bucket's gateway. Credentials come from the SDK's default chain
 * (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles, instance roles). Its logger is silent, so
 * neither they nor the signed headers are ever logged: failures reach the service's own log as
 * code 505 with a short cause.
 */
const ignore = () => undefined;
const silent = { trace: ignore, debug: ignore, info: ignore, warn: ignore, error: ignore };

export function createS3Client(options: S3ClientOptions): S3Client {
  const agent = { keepAlive: true, maxSockets: options.maxSockets };
  return new S3Client({
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    // Since SDK 3.729 streamed bodies go aws-chunked with a checksum trailer unless told otherwise:
    // Ceph RGW 16 answers those with 411, and the store keeps its own sha256 anyway.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: options.maxAttempts,
    // Without a logger of its own the SDK warns on the console (e.g. for every 412 of a streamed PUT).
    logger: silent,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: options.timeoutMs,
      // Since @smithy/node-http-handler 4 this only logs (to the silent logger): the store's calls
      // carry their own deadlines, and a body the gateway stops sending is cut by idleBounded.
      requestTimeout: Math.max(options.timeoutMs, 30_000),
      httpAgent: new http.Agent(agent),
      httpsAgent: new https.Agent(agent),
    }),
  });
}
