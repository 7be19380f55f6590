// The demo's customer page in Debian's Chromium, against a real `callbridge demo`: a person
// calls the contact center from the page with a seeded contact's number, through the demo's SIP
// trunk; alice answers in her softphone with the contact popped; each side hears the other's
// tone (the dominant frequency of the remote track, measured with Web Audio in each page); a
// hang-up on one side ends the other. Then the other way: alice dials the contact's number and
// the page rings and answers. Two browsers, each with its own fake microphone tone.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { launch, newContext, screenshot, seriousViolations, watch, type Problem } from './browser';
import { startDemo, type Demo } from './demo';

/** What each side's microphone plays: far apart, both well under PCMU's 4 kHz. */
const customerHz = 600;
const agentHz = 1400;

/** A mono 16-bit WAV of a steady tone (Chromium loops it). */
function toneWav(hz: number, seconds: number): Buffer {
  const rate = 48_000;
  const samples = rate * seconds;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i += 1) wav.writeInt16LE(Math.round(12_000 * Math.sin((2 * Math.PI * hz * i) / rate)), 44 + i * 2);
  return wav;
}

/** Keeps every remote audio track a page's peer connections receive, for the analysis below.
 *  Injected through the DevTools protocol, which the page's CSP does not govern. */
const keepRemoteTracks = () => {
  const Original = window.RTCPeerConnection;
  const kept: MediaStreamTrack[] = [];
  (window as unknown as { remoteTracks: MediaStreamTrack[] }).remoteTracks = kept;
  window.RTCPeerConnection = class extends Original {
    constructor(config?: RTCConfiguration) {
      super(config);
      this.addEventListener('track', (event) => { kept.push(event.track); });
    }
  };
};

/** The strongest frequency (Hz) in the page's latest remote audio track, over about a second. */
async function dominantFrequency(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const tracks = (window as unknown as { remoteTracks: MediaStreamTrack[] }).remoteTracks;
    const track = tracks[tracks.length - 1];
    if (!track) return -1;
    const context = new AudioContext();
    await context.resume();
    const analyser = context.createAnalyser();
    analyser.fftSize = 8192;
    context.createMediaStreamSource(new MediaStream([track])).connect(analyser);
    const sum = new Float32Array(analyser.frequencyBinCount);
    const frame = new Float32Array(analyser.frequencyBinCount);
    for (let i = 0; i < 10; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      analyser.getFloatFrequencyData(frame);
      for (let b = 0; b < frame.length; b += 1) sum[b] = (sum[b] ?? 0) + Math.pow(10, (frame[b] ?? -200) / 10);
    }
    let best = 1;
    for (let b = 2; b < sum.length; b += 1) if ((sum[b] ?? 0) > (sum[best] ?? 0)) best = b;
    await context.close();
    return (best * context.sampleRate) / analyser.fftSize;
  });
}

let demo: Demo;
let customerBrowser: Browser;
let agentBrowser: Browser;
let tones: string;
let customer: Page;
let agent: Page;
/** The pages open so far, by side, for the screenshots of a failed step. */
const opened = new Map<string, Page>();
let customerProblems: Problem[];
let agentProblems: Problem[];

/** Signed out, the softphone asks `GET /api/v1/session` and is told 401, which Chromium logs. */
const signedOutAnswer = /status of 401 .*\/api\/v1\/session$/;
const unexpected = (problems: Problem[]) => problems.filter((p) => !signedOutAnswer.test(`${p.text} ${p.url}`));

const haruto = { name: 'Haruto Tanaka', number: '+819012345678' };
const contactCenter = '+81312345000';

beforeAll(async () => {
  tones = mkdtempSync(join(tmpdir(), 'callbridge-tones-'));
  writeFileSync(join(tones, 'customer.wav'), toneWav(customerHz, 2));
  writeFileSync(join(tones, 'agent.wav'), toneWav(agentHz, 2));
  [demo, customerBrowser, agentBrowser] = await Promise.all([
    startDemo({ ownTrunk: true }),
    launch({ audioFile: join(tones, 'customer.wav') }),
    launch({ audioFile: join(tones, 'agent.wav') }),
  ]);
});

afterAll(async () => {
  await customerBrowser.close();
  await agentBrowser.close();
  await demo.stop();
  rmSync(tones, { recursive: true, force: true });
});

afterEach(async (context) => {
  if (context.task.result?.state !== 'fail') return;
  const name = context.task.name.replace(/\W+/g, '-');
  for (const [side, page] of opened) if (!page.isClosed()) await screenshot(page, `failed-${side}-${name}`);
});

describe('the customer page', () => {
  test('exists only with the ticket the banner prints', async () => {
    expect(demo.customerUrl, demo.output()).toMatch(/\/demo\/customer#ticket=/);
    const page = (demo.customerUrl ?? '').split('#')[0] ?? '';
    const response = await fetch(page);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect((await fetch(`${demo.publicUrl}/demo/customer.html`)).status).toBe(404);
    const setup = await fetch(`${demo.publicUrl}/demo/customer/setup`);
    expect(setup.status).toBe(401);
    expect(((await setup.json()) as { error: { code: string } }).error.code).toBe('bad_ticket');
  });

  test('without its ticket, says to open the printed link', async () => {
    const context = await newContext(customerBrowser, { width: 480, height: 720 });
    const page = await context.newPage();
    const problems = watch(page);
    await page.goto(`${demo.publicUrl}/demo/customer?lang=en`);
    await page.getByText('This page needs the link the demo printed').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    expect(problems.filter((p) => !/status of 401/.test(p.text))).toEqual([]);
    await context.close();
  });

  test('opens ready to call, lists the seeded contacts, passes axe (English and Japanese)', async () => {
    const context = await newContext(customerBrowser, { width: 480, height: 760 });
    await context.addInitScript(keepRemoteTracks);
    customer = await context.newPage();
    opened.set('customer', customer);
    customerProblems = watch(customer);
    await customer.goto((demo.customerUrl ?? '').replace('#', '?lang=en#'));
    // The ticket leaves the address bar once read.
    await expect.poll(() => customer.url()).not.toContain('ticket=');
    await customer.getByText('Ready. Calls to these numbers ring here.').waitFor({ timeout: 20_000 });
    const callAs = customer.getByRole('combobox', { name: 'Call as' });
    expect(await callAs.inputValue()).toBe(haruto.number);
    expect(await callAs.locator('option').allTextContents()).toContain(`${haruto.name} (${haruto.number})`);
    await screenshot(customer, 'customer-ready-en');
    expect(await seriousViolations(customer)).toEqual([]);
    await customer.getByRole('combobox', { name: 'Language' }).selectOption('ja');
    await customer.getByRole('heading', { name: '顧客として電話する' }).waitFor();
    await screenshot(customer, 'customer-ready-ja');
    expect(await seriousViolations(customer)).toEqual([]);
    await customer.getByRole('combobox', { name: '言語' }).selectOption('en');
    expect(customerProblems).toEqual([]);
  });

  test('alice signs in, links her CRM account and goes available', async () => {
    const name = 'alice.agent';
    const context = await newContext(agentBrowser, { width: 400, height: 760 });
    await context.addInitScript(keepRemoteTracks);
    agent = await context.newPage();
    opened.set('agent', agent);
    agentProblems = watch(agent);
    await agent.goto(`${demo.publicUrl}/?lang=en&tenant=demo`);
    await agent.getByRole('textbox', { name: 'User name' }).fill(name);
    await agent.getByLabel('Password').fill(demo.passwords.get(name) ?? '');
    await agent.getByRole('button', { name: 'Sign in' }).click();
    await agent.getByText('Your CRM account is not linked.').waitFor({ timeout: 15_000 });
    const [popup] = await Promise.all([agent.waitForEvent('popup'), agent.getByRole('button', { name: 'Connect ServiceNow' }).click()]);
    await popup.fill('#user_name', name);
    await popup.fill('#user_password', demo.crmPasswords.get(name) ?? '');
    await popup.click('#allow');
    await popup.getByText('CRM account linked').waitFor();
    await popup.close();
    const available = agent.getByRole('button', { name: 'Available' });
    await expect.poll(() => available.isEnabled(), { timeout: 15_000 }).toBe(true);
    await available.click();
    await agent.locator('.presence-state', { hasText: 'Available' }).waitFor();
  });

  test("calls the contact center as Haruto Tanaka: alice's page pops him, both hear each other, the customer hangs up", async () => {
    await customer.getByRole('button', { name: `Call ${contactCenter}` }).click();
    await customer.getByRole('heading', { name: `Calling ${contactCenter}…` }).waitFor();
    await screenshot(customer, 'customer-calling-en');
    await agent.locator('section.ringing').waitFor({ timeout: 20_000 });
    await agent.getByText(haruto.name).first().waitFor({ timeout: 10_000 });
    await agent.getByRole('button', { name: 'Answer' }).click();
    await customer.getByRole('heading', { name: 'Connected' }).waitFor({ timeout: 10_000 });
    await customer.locator('.timer').filter({ hasText: /00:0[1-9]/ }).waitFor({ timeout: 10_000 });
    await screenshot(customer, 'customer-connected-en');
    expect(await seriousViolations(customer)).toEqual([]);
    // Each side hears the other's microphone, through Callbridge's trunk and bridge.
    await expect.poll(() => dominantFrequency(customer), { timeout: 15_000 }).toBeCloseTo(agentHz, -2);
    await expect.poll(() => dominantFrequency(agent), { timeout: 15_000 }).toBeCloseTo(customerHz, -2);
    await customer.getByRole('combobox', { name: 'Language' }).selectOption('ja');
    await customer.getByRole('heading', { name: '通話中' }).waitFor();
    await screenshot(customer, 'customer-connected-ja');
    await customer.getByRole('combobox', { name: '言語' }).selectOption('en');
    await customer.getByRole('button', { name: 'Hang up' }).click();
    await customer.locator('.outcome', { hasText: 'You hung up.' }).waitFor({ timeout: 10_000 });
    await agent.locator('section.call').waitFor({ state: 'detached', timeout: 10_000 });
    await screenshot(customer, 'customer-after-call-en');
    expect(customerProblems).toEqual([]);
    expect(unexpected(agentProblems)).toEqual([]);
  });

  test("alice dials Haruto Tanaka's number: the page rings, answers, and alice's hang-up ends it", async () => {
    // After the call alice may be in after-call work; make her available to dial.
    const available = agent.getByRole('button', { name: 'Available' });
    if (await available.isEnabled()) await available.click();
    await agent.getByRole('textbox', { name: /number/i }).fill(haruto.number);
    const call = agent.getByRole('button', { name: 'Call', exact: true });
    await expect.poll(() => call.isEnabled(), { timeout: 15_000 }).toBe(true);
    await call.click();
    await customer.getByRole('heading', { name: 'Incoming call' }).waitFor({ timeout: 20_000 });
    await customer.locator('.caller', { hasText: `from ${contactCenter}` }).waitFor();
    await screenshot(customer, 'customer-ringing-en');
    expect(await seriousViolations(customer)).toEqual([]);
    await customer.getByRole('combobox', { name: 'Language' }).selectOption('ja');
    await customer.getByRole('heading', { name: '着信' }).waitFor();
    await screenshot(customer, 'customer-ringing-ja');
    await customer.getByRole('combobox', { name: '言語' }).selectOption('en');
    // The keyboard answers: the Answer button has the focus when the call rings.
    await customer.getByRole('button', { name: 'Answer' }).focus();
    await customer.keyboard.press('Enter');
    await customer.getByRole('heading', { name: 'Connected' }).waitFor({ timeout: 10_000 });
    await expect.poll(() => dominantFrequency(customer), { timeout: 15_000 }).toBeCloseTo(agentHz, -2);
    await agent.getByRole('button', { name: 'Hang up' }).click();
    await customer.locator('.outcome', { hasText: 'The other side hung up.' }).waitFor({ timeout: 10_000 });
    await screenshot(customer, 'customer-other-side-hung-up-en');
    expect(customerProblems).toEqual([]);
    expect(unexpected(agentProblems)).toEqual([]);
  });
});
