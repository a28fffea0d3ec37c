import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs sox (e.g. `-n -r 48000 -b 16 -c 2 out.wav synth 20 sine 1000 vol -23dB`). */
export async function sox(...args: string[]): Promise<void> {
  await run('sox', args);
}

/** Encodes a WAV to MP3 with lame at a constant bitrate (kbps). */
export async function lame(wav: string, mp3: string, kbps = 128): Promise<void> {
  await run('lame', ['--quiet', '-b', String(kbps), wav, mp3]);
}

/** What Debian ffmpeg's `ebur128` filter reports for a whole file: the independent reference. */
export interface FfmpegLoudness {
  integrated: number;
  range: number;
  samplePeak: number;
  truePeak: number;
}

export async function ffmpegLoudness(file: string): Promise<FfmpegLoudness> {
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostats', '-i', file, '-af', 'ebur128=peak=sample+true', '-f', 'null', '-'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const summary = stderr.slice(stderr.lastIndexOf('Summary:'));
  const number = (pattern: RegExp) => {
    const match = pattern.exec(summary);
    if (!match) throw new Error(`no ${pattern} in ffmpeg's ebur128 summary:\n${summary}`);
    return Number(match[1]);
  };
  return {
    integrated: number(/I:\s+(-?[\d.]+) LUFS/),
    range: number(/LRA:\s+(-?[\d.]+) LU\b/),
    samplePeak: number(/Sample peak:\s+Peak:\s+(-?[\d.]+) dBFS/),
    truePeak: number(/True peak:\s+Peak:\s+(-?[\d.]+) dBFS/),
  };
}

/** The file decoded by ffmpeg to interleaved signed 16-bit samples. */
export async function ffmpegSamples(file: string): Promise<{ channels: number; samples: Int16Array }> {
  const probe = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'stream=channels',
    '-of',
    'default=noprint_wrappers=1:nokey=1',
    file,
  ]);
  const channels = Number.parseInt(probe.stdout.trim(), 10);
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 's16le', '-acodec', 'pcm_s16le', '-'], {
    encoding: 'buffer',
    maxBuffer: 512 * 1024 * 1024,
  });
  return { channels, samples: new Int16Array(stdout.buffer, stdout.byteOffset, stdout.byteLength / 2) };
}

/** Min/max per channel of every `samplesPerPixel` frames, interleaved as in the audiowaveform format. */
export function peaksOf({ channels, samples }: { channels: number; samples: Int16Array }, samplesPerPixel: number): number[] {
  const frames = samples.length / channels;
  const out: number[] = [];
  for (let start = 0; start < frames; start += samplesPerPixel) {
    for (let c = 0; c < channels; c++) {
      let low = 32767;
      let high = -32768;
      for (let f = start; f < Math.min(frames, start + samplesPerPixel); f++) {
        const value = samples[f * channels + c]!;
        if (value < low) low = value;
        if (value > high) high = value;
      }
      out.push(low, high);
    }
  }
  return out;
}
