import { randomBytes } from 'node:crypto';
import autocannon, { type RequestSpec } from 'autocannon';
import { MULTIPART_TYPE, URLENCODED_TYPE, mp3Bytes, multipartBody, percentEncode, urlencodedBody } from '../lib/bodies.ts';
import type { AutocannonJob, LoadResult, RequestKind } from './load-job.ts';

/**
 * A load process: runs autocannon in-process against one URL for a bounded time and prints a
 * LoadResult as JSON. It runs apart from the runner and the server so that generating load does
 * not share an event loop with what is measured.
 */
const job = JSON.parse(process.argv[2]!) as AutocannonJob;

// Unique names across repetitions and connections: a run tag plus a counter.
const runTag = randomBytes(4).toString('hex');
let sequence = 0;
const nextName = () => `${runTag}-${++sequence}.mp3`;

function setupFor(request: RequestKind): (spec: RequestSpec) => RequestSpec {
  switch (request.kind) {
    case 'multipart-upload': {
      const content = mp3Bytes(request.size);
      return (spec) => ({
        ...spec,
        method: 'POST',
        path: '/media',
        headers: { 'content-type': MULTIPART_TYPE },
        body: multipartBody('bench', nextName(), content),
      });
    }
    case 'urlencoded-upload': {
      const encoded = percentEncode(mp3Bytes(request.size));
      return (spec) => ({
        ...spec,
        method: 'POST',
        path: '/media',
        headers: { 'content-type': URLENCODED_TYPE },
        body: urlencodedBody('bench', nextName(), encoded),
      });
    }
    case 'get': {
      const { path } = request;
      return (spec) => ({ ...spec, method: 'GET', path });
    }
    case 'download': {
      const { path, range, headers = {} } = request;
      if (!range) return (spec) => ({ ...spec, method: 'GET', path, headers });
      return (spec) => {
        const start = Math.floor(Math.random() * (range.fileSize - range.length));
        return { ...spec, method: 'GET', path, headers: { range: `bytes=${start}-${start + range.length - 1}` } };
      };
    }
  }
}

let sentBytes = 0;
const setup = setupFor(job.request);
const result = await autocannon({
  url: job.url,
  connections: job.connections,
  duration: job.durationSeconds,
  timeout: 60,
  requests: [
    {
      setupRequest: (spec) => {
        const built = setup(spec);
        sentBytes += built.body?.length ?? 0;
        return built;
      },
    },
  ],
});

const unexpected: Record<string, number> = {};
let ok = 0;
for (const [status, { count }] of Object.entries(result.statusCodeStats)) {
  if (Number(status) === job.expectStatus) ok += count;
  else unexpected[status] = count;
}
function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

const output: LoadResult = {
  ok,
  unexpected,
  errors: result.errors + result.timeouts,
  seconds: result.duration,
  reqPerSec: ok / result.duration,
  readBytesPerSec: result.throughput.total / result.duration,
  sentBytesPerSec: sentBytes / result.duration,
  latencyP50Ms: result.latency.p50,
  latencyP99Ms: result.latency.p99,
  cpuSeconds: cpuSeconds(),
};
process.stdout.write(`${JSON.stringify(output)}\n`);
