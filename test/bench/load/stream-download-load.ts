import http from 'node:http';
import type { StreamDownloadJob, StreamDownloadResult } from './load-job.ts';

/**
 * A load process for large downloads: `concurrency` connections each download the file again and
 * again until the time is up, counting every body byte as it arrives. (autocannon counts a
 * response only once it is complete, which for 1 GiB bodies quantises the figure into whole GiB.)
 */
const job = JSON.parse(process.argv[2]!) as StreamDownloadJob;
const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency });
const deadline = performance.now() + job.durationSeconds * 1000;
const unexpected: Record<string, number> = {};
const errors: string[] = [];
let bytes = 0;
let completed = 0;

function downloadOnce(): Promise<void> {
  return new Promise((resolve) => {
    const request = http.get(`${job.url}${job.path}`, { agent }, (response) => {
      if (response.statusCode !== 200) {
        unexpected[response.statusCode ?? 0] = (unexpected[response.statusCode ?? 0] ?? 0) + 1;
      }
      const timer = setTimeout(() => request.destroy(), Math.max(0, deadline - performance.now()));
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('end', () => {
        clearTimeout(timer);
        completed += 1;
        resolve();
      });
      response.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    request.on('error', (error) => {
      if (performance.now() < deadline) errors.push(error.message);
      resolve();
    });
  });
}

async function connection(): Promise<void> {
  while (performance.now() < deadline) await downloadOnce();
}

const started = performance.now();
await Promise.all(Array.from({ length: job.concurrency }, connection));
const seconds = (performance.now() - started) / 1000;
agent.destroy();
const { user, system } = process.cpuUsage();
const result: StreamDownloadResult = {
  completed,
  bytes,
  seconds,
  bytesPerSec: bytes / seconds,
  unexpected,
  errors,
  cpuSeconds: (user + system) / 1e6,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
