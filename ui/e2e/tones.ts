// Tones for the audio tests: a WAV file for Chromium's fake microphone, and the dominant
// frequency of a stretch of samples (a Goertzel scan), to tell which tone a channel carries.
import { readFileSync, writeFileSync } from 'node:fs';

/** Writes a mono 16-bit PCM WAV of a steady sine tone. */
export function writeToneWav(path: string, hz: number, seconds: number, rate = 48_000): void {
  const samples = Math.round(seconds * rate);
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * hz * i) / rate) * 12_000), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8);
  header.write('fmt ', 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  writeFileSync(path, Buffer.concat([header, data]));
}

export interface Wav {
  rate: number;
  channels: number[][];
}

/** Reads a 16-bit PCM WAV (the recordings' format: stereo, 8 kHz) into one array per channel. */
export function readWav(path: string): Wav {
  const bytes = readFileSync(path);
  if (bytes.toString('ascii', 0, 4) !== 'RIFF' || bytes.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${path} is not a WAV file`);
  let offset = 12;
  let rate = 0;
  let count = 0;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString('ascii', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      count = bytes.readUInt16LE(body + 2);
      rate = bytes.readUInt32LE(body + 4);
      if (bytes.readUInt16LE(body + 14) !== 16) throw new Error(`${path}: not 16-bit`);
    } else if (id === 'data') {
      const end = Math.min(bytes.length, body + size);
      const frames = Math.floor((end - body) / (2 * count));
      const channels = Array.from({ length: count }, () => new Array<number>(frames));
      for (let f = 0; f < frames; f++) {
        for (let c = 0; c < count; c++) (channels[c] as number[])[f] = bytes.readInt16LE(body + (f * count + c) * 2);
      }
      return { rate, channels };
    }
    offset = body + size + (size % 2);
  }
  throw new Error(`${path}: no data chunk`);
}

/** The power of one frequency in the samples (Goertzel). */
function power(samples: number[], rate: number, hz: number): number {
  const k = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let s1 = 0;
  let s2 = 0;
  for (const x of samples) {
    const s = x + k * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return s1 * s1 + s2 * s2 - k * s1 * s2;
}

/** The strongest frequency between 100 Hz and 3.5 kHz, in 10 Hz steps, and its share of the
 *  samples' energy (near 1 for a clean tone, near 0 for silence or noise). */
export function dominantTone(samples: number[], rate: number): { hz: number; share: number } {
  let best = { hz: 0, p: 0 };
  for (let hz = 100; hz <= 3_500; hz += 10) {
    const p = power(samples, rate, hz);
    if (p > best.p) best = { hz, p };
  }
  const energy = samples.reduce((sum, x) => sum + x * x, 0);
  // A pure tone of N samples concentrates N/2 of the energy's N-sample sum in its bin (|X|² = (N·A/2)²).
  const share = energy > 0 ? best.p / ((samples.length * energy) / 2) : 0;
  return { hz: best.hz, share };
}
