/**
 * CPU (user + system, all threads, and the event loop's thread alone, from /proc) of hashing a
 * staged upload while its bytes are written, per mechanism, on the same input: 1 GiB in 64 KiB
 * socket-sized chunks, and 64 KiB uploads one after another. Each run writes its file through the
 * staging write stream (1 MiB buffer, no fsync) and checks the digest. Usage:
 *   node --import tsx test/bench/hash-mechanisms.ts [rounds=3] [mechanism ...]
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Digest } from '../../src/storage/staging/running-hash.ts';
import { mechanisms, type BenchHasher } from './lib/hash-mechanisms.ts';
import { STAGING_WRITE_BUFFER_BYTES } from '../../src/storage/staging/staging-write-buffer.ts';

const TICK = 0.01;
const CHUNK = 64 * 1024;
const LARGE = 1024 ** 3;
const SMALL_UPLOADS = 2000;

const rounds = Number(process.argv[2] ?? 3);
const only = process.argv.slice(3);
const pool = randomBytes(16 * 1024 * 1024 + CHUNK);

function cpu(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK;
}
const allThreads = () => cpu(readFileSync('/proc/self/stat', 'utf8'));
const eventLoop = () => cpu(readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8'));

/** Socket-sized chunks of `size` bytes, each a Buffer of its own (as the HTTP parser gives them), at odd offsets of the pool. */
function* chunks(size: number): Generator<Buffer> {
  for (let at = 0, n = 0; at < size; at += CHUNK, n++) {
    const length = Math.min(CHUNK, size - at);
    const offset = (n * 7919) % (pool.length - CHUNK);
    yield Buffer.from(pool.subarray(offset, offset + length));
  }
}

function expected(size: number): string {
  const hash = createHash('sha256');
  for (const chunk of chunks(size)) hash.update(chunk);
  return hash.digest('hex');
}

async function stageOne(dir: string, name: string, size: number, start: (file: string) => BenchHasher): Promise<Digest | undefined> {
  const file = path.join(dir, name);
  const handle = await fs.open(file, 'wx', 0o644);
  const hasher = start(file);
  const sink = handle.createWriteStream({ highWaterMark: STAGING_WRITE_BUFFER_BYTES });
  async function* tapped(): AsyncGenerator<Buffer> {
    for (const chunk of chunks(size)) {
      hasher.tap?.(chunk);
      yield chunk;
    }
  }
  await pipeline(tapped(), sink);
  hasher.finish(sink.bytesWritten);
  return hasher.result;
}

interface Sample {
  allMs: number;
  loopMs: number;
  wallMs: number;
}

async function measure(run: () => Promise<void>): Promise<Sample> {
  const [all0, loop0, wall0] = [allThreads(), eventLoop(), performance.now()];
  await run();
  return { allMs: (allThreads() - all0) * 1000, loopMs: (eventLoop() - loop0) * 1000, wallMs: performance.now() - wall0 };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const wantLarge = expected(LARGE);
const wantSmall = expected(CHUNK);
const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'hash-mechanisms-'));
const fallbacks = new Map<string, number>();
const results = new Map<string, { large: Sample[]; small: Sample[] }>();
try {
  const chosen = mechanisms.filter((m) => only.length === 0 || only.includes(m.name));
  for (const mechanism of chosen) results.set(mechanism.name, { large: [], small: [] });
  const started = chosen.map((m) => ({ ...m, instance: m.start() }));
  // Warm up each (threads started, code compiled) before anything is measured.
  for (const m of started) {
    const dir = await fs.mkdtemp(path.join(scratch, `warm-${m.name}-`));
    await stageOne(dir, 'w', 8 * 1024 * 1024, m.instance.hasher);
  }
  for (let round = 0; round < rounds; round++) {
    // Alternating, so other load on the machine falls on every mechanism alike.
    for (const m of started) {
      const dir = await fs.mkdtemp(path.join(scratch, `${m.name}-${round}-`));
      let digest: Digest | undefined;
      const large = await measure(async () => void (digest = await stageOne(dir, 'large', LARGE, m.instance.hasher)));
      if (digest?.sha256 !== wantLarge) throw new Error(`${m.name}: wrong digest for 1 GiB`);
      const small = await measure(async () => {
        for (let i = 0; i < SMALL_UPLOADS; i += 16) {
          const batch = Array.from({ length: 16 }, (_, j) => stageOne(dir, `s${i + j}`, CHUNK, m.instance.hasher));
          for (const got of await Promise.all(batch)) {
            // No digest: the mechanism gave up and the publish would hash the file again.
            if (got === undefined) fallbacks.set(m.name, (fallbacks.get(m.name) ?? 0) + 1);
            else if (got.sha256 !== wantSmall) throw new Error(`${m.name}: wrong digest for 64 KiB`);
          }
        }
      });
      results.get(m.name)!.large.push(large);
      results.get(m.name)!.small.push(small);
      console.log(
        `${m.name} round ${round + 1}: 1 GiB all threads ${large.allMs.toFixed(0)} ms (event loop ${large.loopMs.toFixed(0)}, wall ${large.wallMs.toFixed(0)}); ` +
          `64 KiB all threads ${((small.allMs * 1000) / SMALL_UPLOADS).toFixed(0)} us (event loop ${((small.loopMs * 1000) / SMALL_UPLOADS).toFixed(0)})`,
      );
    }
  }
  await Promise.all(started.map((m) => m.instance.close()));
  for (const [name, count] of fallbacks) console.log(`${name}: no digest for ${count} of ${rounds * SMALL_UPLOADS} 64 KiB uploads`);
  console.log(
    `\nmedians of ${rounds}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(
    '| mechanism | 1 GiB, all threads (ms) | 1 GiB, event loop (ms) | 1 GiB wall (ms) | 64 KiB, all threads (us) | 64 KiB, event loop (us) |',
  );
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const [name, { large, small }] of results) {
    const perSmall = (values: number[]) => ((median(values) * 1000) / SMALL_UPLOADS).toFixed(0);
    console.log(
      `| ${name} | ${median(large.map((s) => s.allMs)).toFixed(0)} | ${median(large.map((s) => s.loopMs)).toFixed(0)} | ${median(large.map((s) => s.wallMs)).toFixed(0)} | ` +
        `${perSmall(small.map((s) => s.allMs))} | ${perSmall(small.map((s) => s.loopMs))} |`,
    );
  }
} finally {
  await fs.rm(scratch, { recursive: true, force: true });
}
