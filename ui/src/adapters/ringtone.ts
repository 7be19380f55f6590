// The ringtone, made with Web Audio (no audio file): two soft tones, one second on, two off.
export interface Ringtone {
  start(): void;
  stop(): void;
  /** Browsers start audio only after a user gesture: call this from one. */
  unlock(): void;
}

export function createRingtone(): Ringtone {
  let context: AudioContext | null = null;
  let timer: ReturnType<typeof setInterval> | undefined;
  const ctx = () => (context ??= new AudioContext());

  const burst = () => {
    const audio = ctx();
    const gain = audio.createGain();
    gain.connect(audio.destination);
    const t = audio.currentTime;
    gain.gain.setValueAtTime(0, t);
    gain.gain.linearRampToValueAtTime(0.12, t + 0.05);
    gain.gain.setValueAtTime(0.12, t + 0.95);
    gain.gain.linearRampToValueAtTime(0, t + 1.0);
    for (const frequency of [440, 480]) {
      const osc = audio.createOscillator();
      osc.frequency.value = frequency;
      osc.connect(gain);
      osc.start(t);
      osc.stop(t + 1.0);
    }
  };

  return {
    start() {
      if (timer !== undefined) return;
      burst();
      timer = setInterval(burst, 3_000);
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
    unlock() {
      void ctx().resume();
    },
  };
}
