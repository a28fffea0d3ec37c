import http from 'node:http';
import { once } from 'node:events';
import { mp3Bytes } from '../lib/bodies.ts';
import type { StreamUploadResult, TusUploadJob } from './load-job.ts';

/**
 * A load process for one resumable upload: tus creation, then PATCHes of `chunkSize` bytes on one
 * keep-alive connection (as tus-js-client sends them), generated from one 1 MiB block so the
 * file never exists in memory or on disk here. The final PATCH must answer 200.
 */
const job = JSON.parse(process.argv[2]!) as TusUploadJob;
const BLOCK = mp3Bytes(1 << 20);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const TUS = { 'tus-resumable': '1.0.0' };

async function send(method: string, path: string, headers: Record<string, string | number>, length = 0): Promise<http.IncomingMessage> {
  const request = http.request(new URL(path, job.url), { method, agent, headers: { ...TUS, ...headers, 'content-length': length } });
  const answered = once(request, 'response') as Promise<[http.IncomingMessage]>;
  for (let sent = 0; sent < length; sent += BLOCK.length) {
    const block = length - sent >= BLOCK.length ? BLOCK : BLOCK.subarray(0, length - sent);
    if (!request.write(block)) await Promise.race([once(request, 'drain'), answered]);
  }
  request.end();
  const [response] = await answered;
  response.resume();
  await once(response, 'end');
  return response;
}

const b64 = (text: string) => Buffer.from(text).toString('base64');
const statuses: Record<string, number> = {};
const errors: string[] = [];
const deadline = setTimeout(() => {
  process.stderr.write(`the resumable upload did not finish within ${job.timeoutSeconds} s\n`);
  process.exit(2);
}, job.timeoutSeconds * 1000);
const started = performance.now();
let stored = false;
try {
  const created = await send('POST', '/uploads', {
    'upload-length': job.size,
    'upload-metadata': `directory ${b64('bench')},filename ${b64(job.filename)}`,
  });
  const location = created.headers.location;
  if (created.statusCode !== 201 || !location) throw new Error(`creation answered ${created.statusCode}`);
  for (let offset = 0; offset < job.size; offset += job.chunkSize) {
    const length = Math.min(job.chunkSize, job.size - offset);
    const answer = await send('PATCH', location, { 'content-type': 'application/offset+octet-stream', 'upload-offset': offset }, length);
    statuses[answer.statusCode!] = (statuses[answer.statusCode!] ?? 0) + 1;
    const last = offset + length === job.size;
    if (answer.statusCode !== (last ? (job.finalStatus ?? 200) : 204)) throw new Error(`PATCH at ${offset} answered ${answer.statusCode}`);
    stored = last;
  }
} catch (error) {
  errors.push((error as Error).message);
}
clearTimeout(deadline);
agent.destroy();
const seconds = (performance.now() - started) / 1000;
const { user, system } = process.cpuUsage();
const result: StreamUploadResult = {
  uploads: stored ? 1 : 0,
  bytes: stored ? job.size : 0,
  seconds,
  bytesPerSec: stored ? job.size / seconds : 0,
  statuses,
  errors,
  cpuSeconds: (user + system) / 1e6,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
