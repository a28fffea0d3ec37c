import http from 'node:http';
import type { ListingLoadJob, ListingLoadResult } from './load-job.ts';

/**
 * A listing load process: one client walks a directory page by page (GET /media?directory=&limit=
 * following `nextCursor`), one request at a time, timing each page until its body has arrived.
 * A first walk is not measured. Every page before the last must be full, and a walk that reaches
 * the end must have seen every file: files copied into the directory by hand must appear.
 */
const job = JSON.parse(process.argv[2]!) as ListingLoadJob;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        response.on('error', reject);
      })
      .on('error', reject);
  });
}

async function walk(deadline: number, latencies?: number[]): Promise<void> {
  let cursor: string | undefined;
  let seen = 0;
  for (let page = 0; page < job.maxPages && performance.now() < deadline; page++) {
    const query = new URLSearchParams({ directory: job.directory, limit: String(job.limit), ...(cursor ? { cursor } : {}) });
    const started = performance.now();
    const { status, body } = await get(`${job.url}/media?${query}`);
    latencies?.push(performance.now() - started);
    if (status !== 200) throw new Error(`GET /media?${query} answered ${status}: ${body.slice(0, 300)}`);
    const { files, nextCursor } = JSON.parse(body) as { files: unknown[]; nextCursor?: string };
    seen += files.length;
    if (nextCursor === undefined) {
      if (seen !== job.expectedFiles) throw new Error(`a walk of ${job.directory} saw ${seen} files, not ${job.expectedFiles}`);
      return;
    }
    if (files.length !== job.limit) throw new Error(`page ${page + 1} of ${job.directory} held ${files.length} files, not ${job.limit}`);
    cursor = nextCursor;
  }
}

const firstStarted = performance.now();
await walk(Infinity);
const firstWalkMs = performance.now() - firstStarted;

const latencies: number[] = [];
const started = performance.now();
const deadline = started + job.durationSeconds * 1000;
while (performance.now() < deadline) await walk(deadline, latencies);
const seconds = (performance.now() - started) / 1000;
agent.destroy();

if (latencies.length === 0) throw new Error(`no page of ${job.directory} was answered within ${job.durationSeconds} s`);
const sorted = Float64Array.from(latencies).sort();
const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const { user, system } = process.cpuUsage();
const result: ListingLoadResult = {
  pages: sorted.length,
  seconds,
  latencyP50Ms: pct(50),
  latencyP99Ms: pct(99),
  firstWalkMs,
  cpuSeconds: (user + system) / 1e6,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
