/**
 * Peak RSS of a fresh service while N clients each upload one file urlencoded at once, and the
 * /healthz latency meanwhile. Usage:
 *   node --import tsx test/bench/urlencoded-memory.ts [clients=8] [MiB=100]
 * The service runs from src/ (as the tests run it) with media.verifyContent off (the file is
 * random bytes), everything else at its defaults (fsync on).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { tempRoot } from '../helpers/app.ts';
import { startServiceProcess } from '../helpers/process.ts';
import { percentEncodeBuffer } from '../helpers/urlencoded-stream.ts';

const clients = Number(process.argv[2] ?? 8);
const mib = Number(process.argv[3] ?? 100);
const block = randomBytes(256 * 1024);
const encodedBlock = percentEncodeBuffer(block);
const blocks = (mib * 1024 * 1024) / block.length;
const expected = createHash('sha256');
for (let i = 0; i < blocks; i++) expected.update(block);
const expectedSha = expected.digest('hex');

async function memory(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const mb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)![1]) / 1024;
  return { rss: mb('VmRSS'), peak: mb('VmHWM') };
}

function upload(url: string, n: number): Promise<{ code: number; sha256?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${url}/media`,
      { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => {
          const body = JSON.parse(text);
          resolve({ code: body.code, sha256: body.files?.[0]?.sha256 });
        });
      },
    );
    req.on('error', reject);
    void (async () => {
      req.write(`directory=bench&filename=f${n}.mp3&body=`);
      for (let i = 0; i < blocks; i++) {
        if (!req.write(encodedBlock)) await new Promise((resolve) => req.once('drain', resolve));
      }
      req.end();
    })();
  });
}

function healthz(url: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get(`${url}/healthz`, { agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(performance.now() - started));
      })
      .on('error', reject);
  });
}

const root = await tempRoot('urlencoded-memory-');
const configFile = path.join(root, 'config.json');
await writeFile(configFile, JSON.stringify({ media: { verifyContent: false, maxFileSize: Math.max(mib, 100) * 1024 * 1024 } }));
const service = await startServiceProcess({ CONFIG_FILE: configFile, UPLOAD_DIR: path.join(root, 'media') });
try {
  const pid = service.child.pid!;
  const before = await memory(pid);
  let done = false;
  const latencies: number[] = [];
  const probing = (async () => {
    while (!done) {
      latencies.push(await healthz(service.url));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: clients }, (_, n) => upload(service.url, n)));
  const seconds = (performance.now() - started) / 1000;
  done = true;
  await probing;
  const after = await memory(pid);
  latencies.sort((a, b) => a - b);
  const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))]!;
  console.log(
    JSON.stringify({
      clients,
      fileMiB: mib,
      codes: results.map((r) => r.code),
      byteExact: results.every((r) => r.sha256 === expectedSha),
      seconds: Number(seconds.toFixed(1)),
      rssBeforeMB: Math.round(before.rss),
      peakRssMB: Math.round(after.peak),
      growthMB: Math.round(after.peak - before.rss),
      healthz: {
        samples: latencies.length,
        p50ms: Math.round(latencies[latencies.length >> 1]!),
        p99ms: Math.round(p99),
        maxms: Math.round(latencies.at(-1)!),
      },
    }),
  );
} finally {
  await service.stop();
  await rm(root, { recursive: true, force: true });
}
