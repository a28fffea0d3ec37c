import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BenchContext } from './context.ts';

export interface AudioFiles {
  /** 5 minutes of stereo pink noise, 44.1 kHz 16-bit WAV. */
  wav: string;
  /** The same as a 128 kbps lame MP3. */
  mp3: string;
  /** 60 minutes of MP3: the 5-minute MP3 twelve times over (MP3 frames concatenate). */
  hourMp3: string;
}

/** The analysis bench's audio, made once per invocation with sox and lame. */
export function audioFiles(ctx: BenchContext): Promise<AudioFiles> {
  return ctx.memo('audio files', async () => {
    const dir = ctx.freshDir('audio');
    const wav = path.join(dir, 'noise-5min.wav');
    const mp3 = path.join(dir, 'noise-5min.mp3');
    const hourMp3 = path.join(dir, 'noise-60min.mp3');
    execFileSync('sox', ['-n', '-r', '44100', '-b', '16', '-c', '2', wav, 'synth', '300', 'pinknoise', 'vol', '-12dB']);
    execFileSync('lame', ['--quiet', '-b', '128', wav, mp3]);
    const piece = await readFile(mp3);
    const out = createWriteStream(hourMp3);
    for (let i = 0; i < 12; i++) out.write(piece);
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    return { wav, mp3, hourMp3 };
  });
}
