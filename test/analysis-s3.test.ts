import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { analysisFinished } from './helpers/analysis.ts';
import type { RunningService } from './helpers/app.ts';
import { ffmpegSamples, peaksOf, sox } from './helpers/audio-tools.ts';
import { s3Client } from './helpers/s3.ts';
import { upload } from './helpers/upload.ts';
import { startBucketHosts } from './helpers/bucket-hosts.ts';

// Analysis on the S3 backend (the run's Ceph RADOS Gateway): results are objects in the bucket,
// under a prefix the listing never shows, served by any host of the bucket, removed with the file.
const rgw = inject('rgw');
let bucket: string;
let dir: string;
let hosts: RunningService[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'analysis-s3-'));
  await sox('-n', '-r', '44100', '-b', '16', '-c', '2', path.join(dir, 'noise.wav'), 'synth', '3', 'pinknoise', 'vol', '-10dB');
  ({ bucket, hosts } = await startBucketHosts(rgw, { prefix: 'media' }));
}, 60_000);

afterAll(async () => {
  await Promise.all(hosts.map((host) => host.close()));
  await rm(dir, { recursive: true, force: true });
});

async function keysInBucket(): Promise<string[]> {
  const answer = await s3Client(rgw).send(new ListObjectsV2Command({ Bucket: bucket }));
  return (answer.Contents ?? []).map((object) => object.Key!).sort();
}

it('keeps the results in the bucket, unlisted, served by another host, and removes them with the file', async () => {
  const [first, second] = hosts as [RunningService, RunningService];
  const bytes = await readFile(path.join(dir, 'noise.wav'));
  expect((await upload(first.url, 'multipart', { directory: 'songs', filename: 'noise.wav', bytes })).status).toBe(200);
  expect((await analysisFinished(first.url, 'songs', 'noise.wav')).analysis).toBe('done');

  const results = (await keysInBucket()).filter((key) => key.startsWith('media/.analysis/'));
  expect(results.map((key) => path.extname(key)).sort()).toEqual(['.dat', '.json']);
  const top = await request(second.url).get('/media').query({ directory: '' });
  expect(top.body.directories).toEqual(['songs']);

  const waveform = await request(second.url).get('/waveforms/songs/noise.wav');
  expect(waveform.status).toBe(200);
  expect(waveform.body.data).toEqual(peaksOf(await ffmpegSamples(path.join(dir, 'noise.wav')), 256));

  expect((await request(second.url).delete('/media').query({ directory: 'songs', filename: 'noise.wav' })).body.deleted).toBe(true);
  expect((await keysInBucket()).filter((key) => key.startsWith('media/.analysis/'))).toEqual([]);
});

it("analyses a stored file as it is read from the bucket: no copy of it on the host's disk", async () => {
  const [first] = hosts as [RunningService];
  const long = path.join(dir, 'long.wav');
  // 20 s of stereo 44.1 kHz: 3.5 MB, far past what staging holds in memory.
  await sox('-n', '-r', '44100', '-b', '16', '-c', '2', long, 'synth', '20', 'pinknoise', 'vol', '-10dB');
  const bytes = await readFile(long);
  expect((await upload(first.url, 'multipart', { directory: 'long', filename: 'long.wav', bytes })).status).toBe(200);
  const analysed = await analysisFinished(first.url, 'long', 'long.wav');
  expect(analysed.analysis).toBe('done');
  expect(analysed.durationSeconds).toBeCloseTo(20, 1);
  // A copy for a worker was kept 5 minutes after its analysis: none is there now.
  const staged = await readdir(path.join(first.root, '.incoming')).catch(() => []);
  expect(staged.filter((name) => name.endsWith('.copy'))).toEqual([]);
  const waveform = await request(first.url).get('/waveforms/long/long.wav');
  expect(waveform.body.data).toEqual(peaksOf(await ffmpegSamples(long), 256));
});
