import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { analysisFinished } from './helpers/analysis.ts';
import { sox } from './helpers/audio-tools.ts';
import { startServiceProcess, type ServiceProcess } from './helpers/process.ts';
import { upload } from './helpers/upload.ts';

// Analysis survives a crash: a file stored just before SIGKILL is analysed by the next process,
// and a failed analysis is not tried again after the restart.
let dir: string;
let root: string;
const running: ServiceProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'analysis-restart-'));
  root = path.join(dir, 'root');
  // 60 s of 48 kHz stereo: analysing it (below every other thread) takes far longer than the kill.
  await sox('-n', '-r', '48000', '-b', '16', '-c', '2', path.join(dir, 'long.wav'), 'synth', '60', 'sine', '440', 'vol', '-18dB');
});

afterAll(async () => {
  await Promise.all(running.map((service) => service.stop('SIGKILL')));
  await rm(dir, { recursive: true, force: true });
});

async function start(): Promise<ServiceProcess> {
  const service = await startServiceProcess({ UPLOAD_DIR: root, LOG_LEVEL: 'info' });
  running.push(service);
  return service;
}

it('analyses after a restart the file stored just before a SIGKILL, and leaves a failed file failed', async () => {
  const first = await start();
  // A WAV whose format chunk names an encoding analysis does not decode: it fails, once.
  const adpcm = Buffer.concat([
    Buffer.from('RIFF'),
    le32(36),
    Buffer.from('WAVEfmt '),
    le32(16),
    adpcmFormat(),
    Buffer.from('data'),
    le32(0),
  ]);
  expect((await upload(first.url, 'multipart', { directory: 'songs', filename: 'a-adpcm.wav', bytes: adpcm })).status).toBe(200);
  expect((await analysisFinished(first.url, 'songs', 'a-adpcm.wav')).analysis).toBe('failed');

  const stored = await upload(first.url, 'multipart', {
    directory: 'songs',
    filename: 'b-long.wav',
    bytes: await readFile(path.join(dir, 'long.wav')),
  });
  expect(stored.status).toBe(200);
  expect(await first.stop('SIGKILL')).toBe(null);

  const second = await start();
  const metadata = await analysisFinished(second.url, 'songs', 'b-long.wav', 25_000);
  expect(metadata.analysis).toBe('done');
  expect((metadata.loudness as { samplePeak: number }).samplePeak).toBeCloseTo(-18, 1);
  // The scan queues the directory in name order, one at a time: a-adpcm.wav came before b-long.wav.
  expect(second.output()).not.toContain('audio analysis failed');
  expect((await analysisFinished(second.url, 'songs', 'a-adpcm.wav')).analysis).toBe('failed');
  await second.stop();
}, 60_000);

function le32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(value);
  return out;
}

function adpcmFormat(): Buffer {
  const fmt = Buffer.alloc(16);
  fmt.writeUInt16LE(0x11, 0);
  fmt.writeUInt16LE(1, 2);
  fmt.writeUInt32LE(8000, 4);
  fmt.writeUInt32LE(4000, 8);
  fmt.writeUInt16LE(256, 12);
  fmt.writeUInt16LE(4, 14);
  return fmt;
}
