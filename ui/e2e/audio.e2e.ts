// Audio both ways, as a person would hear it: the agent's fake microphone plays a 1 kHz tone
// file, the customer (`callbridge demo call`) a 440 Hz tone. In the agent's page the Web Audio API
// finds 440 Hz in what the softphone receives; the stored recording (stereo WAV: customer left,
// agent right) holds 440 Hz on the left and 1 kHz on the right.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { agentBrowser, ringingCallId, setPresence, signIn } from './agents';
import { screenshot } from './browser';
import { placeCall, startDemo, type Demo } from './demo';
import { dominantTone, readWav, writeToneWav } from './tones';

const agentHz = 1_000;
const customerHz = 440;

let demo: Demo;
let browser: Awaited<ReturnType<typeof agentBrowser>>;
let files: string;

beforeAll(async () => {
  files = mkdtempSync(join(tmpdir(), 'callbridge-e2e-tones-'));
  const tone = join(files, 'agent-1khz.wav');
  writeToneWav(tone, agentHz, 10);
  [demo, browser] = await Promise.all([
    startDemo(),
    agentBrowser({
      width: 360,
      height: 640,
      extraArgs: [`--use-file-for-fake-audio-capture=${tone}`, '--autoplay-policy=no-user-gesture-required'],
    }),
  ]);
});

afterAll(async () => {
  await browser.close();
  await demo.stop();
  rmSync(files, { recursive: true, force: true });
});

/** Keeps every RTCPeerConnection the page makes reachable from the test (observation only). */
function observePeerConnections(): void {
  const Original = window.RTCPeerConnection;
  const seen: RTCPeerConnection[] = [];
  (window as unknown as { __peerConnections: RTCPeerConnection[] }).__peerConnections = seen;
  window.RTCPeerConnection = class extends Original {
    constructor(config?: RTCConfiguration) {
      super(config);
      seen.push(this);
    }
  };
}

/** The dominant frequency, over `ms`, of the audio the softphone receives (`remote`) or sends. */
async function dominantInPage(page: Page, which: 'remote' | 'local', ms: number): Promise<{ hz: number; level: number }> {
  return page.evaluate(async ({ which, ms }) => {
    const pcs = (window as unknown as { __peerConnections: RTCPeerConnection[] }).__peerConnections;
    const pc = pcs.filter((p) => p.connectionState !== 'closed').at(-1);
    if (!pc) throw new Error('no peer connection');
    const track = which === 'remote' ? pc.getReceivers()[0]?.track : pc.getSenders()[0]?.track;
    if (!track) throw new Error(`no ${which} track`);
    const context = new AudioContext();
    await context.resume();
    const analyser = context.createAnalyser();
    analyser.fftSize = 8192;
    analyser.smoothingTimeConstant = 0.8;
    context.createMediaStreamSource(new MediaStream([track])).connect(analyser);
    await new Promise((r) => setTimeout(r, ms));
    const bins = new Float32Array(analyser.frequencyBinCount);
    analyser.getFloatFrequencyData(bins);
    let best = 0;
    for (let i = 1; i < bins.length; i++) if ((bins[i] ?? -Infinity) > (bins[best] ?? -Infinity)) best = i;
    await context.close();
    return { hz: (best * context.sampleRate) / analyser.fftSize, level: bins[best] ?? -Infinity };
  }, { which, ms });
}

/** The recording's file for a call, once the uploader has stored it. */
function recordingOf(dir: string, callId: string): string | null {
  if (!existsSync(dir)) return null;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      const found = recordingOf(path, callId);
      if (found) return found;
    } else if (name === `${callId}.wav`) {
      return path;
    }
  }
  return null;
}

describe('audio both ways', () => {
  test('the agent hears the customer’s tone in the page, and the recording holds both tones on their sides', async () => {
    const page = await browser.context.newPage();
    await page.addInitScript(observePeerConnections);
    await page.goto(`${demo.publicUrl}/?lang=en&tenant=demo`);
    await signIn(page, demo, 'alice.agent');
    await setPresence(page, true);
    // What the softphone sends is the tone file (the fake microphone works as a person's would).
    const sent = await dominantInPage(page, 'local', 800);
    expect(Math.abs(sent.hz - agentHz), JSON.stringify(sent)).toBeLessThan(15);

    const call = placeCall(demo, 8);
    let callId: string;
    try {
      callId = await ringingCallId(page);
      await page.getByRole('button', { name: 'Answer' }).click();
      await page.locator('.timer').filter({ hasText: /00:0[1-9]/ }).waitFor({ timeout: 10_000 });
      const heard = await dominantInPage(page, 'remote', 1_500);
      console.log(`in the page: sends ${sent.hz.toFixed(0)} Hz (${sent.level.toFixed(0)} dB), hears ${heard.hz.toFixed(0)} Hz (${heard.level.toFixed(0)} dB)`);
      expect(Math.abs(heard.hz - customerHz), JSON.stringify(heard)).toBeLessThan(15);
      expect(heard.level).toBeGreaterThan(-60);
      await screenshot(page, 'audio-on-call-360-en');
      // The customer hangs up after --seconds.
      expect(await call.done).toMatch(/hung up after 8 s/);
    } finally {
      call.stop();
    }

    let file: string | null = null;
    for (let i = 0; i < 60 && !file; i++) {
      file = recordingOf(join(demo.data, 'recordings'), callId);
      if (!file) await new Promise((r) => setTimeout(r, 500));
    }
    expect(file, `no recording of ${callId} under ${demo.data}/recordings`).not.toBeNull();
    const wav = readWav(file ?? '');
    expect(wav.rate).toBe(8_000);
    expect(wav.channels).toHaveLength(2);
    const [left, right] = wav.channels as [number[], number[]];
    // One second from the middle of the answered part, where both tones play.
    const middle = Math.floor(left.length / 2);
    const customer = dominantTone(left.slice(middle - 4_000, middle + 4_000), wav.rate);
    const agent = dominantTone(right.slice(middle - 4_000, middle + 4_000), wav.rate);
    console.log(`recording: left (customer) ${customer.hz} Hz, share ${customer.share.toFixed(2)}; right (agent) ${agent.hz} Hz, share ${agent.share.toFixed(2)}`);
    expect(customer.hz).toBeGreaterThan(customerHz - 15);
    expect(customer.hz).toBeLessThan(customerHz + 15);
    expect(agent.hz).toBeGreaterThan(agentHz - 15);
    expect(agent.hz).toBeLessThan(agentHz + 15);
    expect(customer.share).toBeGreaterThan(0.5);
    expect(agent.share).toBeGreaterThan(0.5);
    await page.close();
  });
});
