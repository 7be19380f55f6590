// The ringtone, made with Web Audio (no audio file): two soft tones, one second on, two off.
// The pattern is one looping buffer played by the audio clock, so it keeps its rhythm in a
// background tab, where the browser slows timers down to once a minute.
export interface Ringtone {
  start(): void;
  stop(): void;
  /** Browsers start audio only after a user gesture: call this from one. */
  unlock(): void;
}

const periodSeconds = 3;
const toneSeconds = 1;
const fadeSeconds = 0.05;
const level = 0.12;

/** One period of the ring: 440 + 480 Hz for a second (faded in and out), then silence. */
export function ringSamples(sampleRate: number): Float32Array<ArrayBuffer> {
  const samples = new Float32Array(Math.round(sampleRate * periodSeconds));
  const toneLength = Math.round(sampleRate * toneSeconds);
  const fade = sampleRate * fadeSeconds;
  for (let i = 0; i < toneLength; i += 1) {
    const t = i / sampleRate;
    const envelope = Math.min(1, i / fade, (toneLength - i) / fade);
    samples[i] = (level / 2) * envelope * (Math.sin(2 * Math.PI * 440 * t) + Math.sin(2 * Math.PI * 480 * t));
  }
  return samples;
}

export function createRingtone(): Ringtone {
  let context: AudioContext | null = null;
  let buffer: AudioBuffer | null = null;
  let source: AudioBufferSourceNode | null = null;
  const ctx = () => (context ??= new AudioContext());

  return {
    start() {
      if (source) return;
      const audio = ctx();
      if (!buffer) {
        buffer = audio.createBuffer(1, Math.round(audio.sampleRate * periodSeconds), audio.sampleRate);
        buffer.copyToChannel(ringSamples(audio.sampleRate), 0);
      }
      source = audio.createBufferSource();
      source.buffer = buffer;
      source.loop = true;
      source.connect(audio.destination);
      source.start();
    },
    stop() {
      source?.stop();
      source?.disconnect();
      source = null;
    },
    unlock() {
      void ctx().resume();
    },
  };
}
