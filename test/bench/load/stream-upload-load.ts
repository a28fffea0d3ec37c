import http from 'node:http';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { MULTIPART_TYPE, mp3Bytes, multipartFrame } from '../lib/bodies.ts';
import type { StreamUploadJob, StreamUploadResult } from './load-job.ts';

/**
 * A load process for large uploads: `concurrency` multipart uploads of `size` bytes at once,
 * generated on the fly from one 1 MiB block so the file never exists in memory or on disk here.
 */
const job = JSON.parse(process.argv[2]!) as StreamUploadJob;
const BLOCK = mp3Bytes(1 << 20);
const runTag = randomBytes(4).toString('hex');

async function uploadOne(index: number): Promise<number> {
  const { head, tail } = multipartFrame('bench', job.filename ?? `${runTag}-large-${index}.mp3`, job.directoryField);
  const request = http.request(`${job.url}/media`, {
    method: 'POST',
    agent: false,
    headers: { 'content-type': MULTIPART_TYPE, 'content-length': head.length + job.size + tail.length },
  });
  const answered = once(request, 'response') as Promise<[http.IncomingMessage]>;
  let answeredEarly = false;
  void answered.then(
    () => (answeredEarly = true),
    () => undefined,
  );
  request.write(head);
  // A server that answers before the body ends (a limit, an error) stops the upload.
  for (let sent = 0; sent < job.size && !answeredEarly; sent += BLOCK.length) {
    const block = job.size - sent >= BLOCK.length ? BLOCK : BLOCK.subarray(0, job.size - sent);
    if (!request.write(block)) await Promise.race([once(request, 'drain'), answered]);
  }
  request.end(tail);
  const [response] = await answered;
  response.resume();
  await once(response, 'end');
  return response.statusCode ?? 0;
}

const statuses: Record<string, number> = {};
const errors: string[] = [];
const started = performance.now();
const deadline = setTimeout(() => {
  process.stderr.write(`large uploads did not finish within ${job.timeoutSeconds} s\n`);
  process.exit(2);
}, job.timeoutSeconds * 1000);

await Promise.all(
  Array.from({ length: job.concurrency }, (_, index) =>
    uploadOne(index).then(
      (status) => void (statuses[status] = (statuses[status] ?? 0) + 1),
      (error: Error) => void errors.push(error.message),
    ),
  ),
);
clearTimeout(deadline);
const seconds = (performance.now() - started) / 1000;
const uploads = statuses['200'] ?? 0;
const { user, system } = process.cpuUsage();
const result: StreamUploadResult = {
  uploads,
  bytes: uploads * job.size,
  seconds,
  bytesPerSec: (uploads * job.size) / seconds,
  statuses,
  errors,
  cpuSeconds: (user + system) / 1e6,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
