// A call in progress survives the softphone going away (docs/softphone-protocol.md, "A call
// survives a lost softphone"), in Debian's Chromium against a real `callbridge demo` with a real
// customer call (`callbridge demo call`): a reload brings the call's view and audio back, a cut
// WebSocket says "Reconnecting" and resumes, and a second tab takes the call over and gives it
// back with "Use here". The customer's call is never dropped: `demo call` hangs up by itself at
// the end of its time ("hung up after N s"), never "Callbridge hung up".
import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { launch, newContext, screenshot, seriousViolations, watch, type Problem } from './browser';
import { placeCall, startDemo, type Demo } from './demo';

let demo: Demo;
let browser: Browser;

beforeAll(async () => {
  [demo, browser] = await Promise.all([startDemo(), launch()]);
});

afterAll(async () => {
  await browser.close();
  await demo.stop();
});

const openFrame = { width: 360, height: 640 };
const agent = 'alice.agent';

/** The socket a page has now, and whether the "network" lets new ones through. */
interface Network {
  current: WebSocketRoute | null;
  down: boolean;
}

/** Routes the page's softphone WebSocket through the test, to cut it like a network would. */
async function throughTheTest(page: Page): Promise<Network> {
  const network: Network = { current: null, down: false };
  await page.routeWebSocket(/\/softphone(\?|$)/, (ws) => {
    if (network.down) {
      // No route to the server: the connection fails at once.
      void ws.close({ code: 3000, reason: 'network down (test)' });
      return;
    }
    network.current = ws;
    ws.connectToServer();
  });
  return network;
}

async function signIn(page: Page): Promise<void> {
  await page.goto(`${demo.publicUrl}/?lang=en&tenant=demo`);
  await page.getByRole('textbox', { name: 'User name' }).fill(agent);
  await page.getByLabel('Password').fill(demo.passwords.get(agent) ?? '');
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function goAvailable(page: Page): Promise<void> {
  // After a call the agent may be available already (the demo's queue has no after-call work).
  await page.locator('.presence-state').waitFor({ timeout: 20_000 });
  if (await page.locator('.presence-state', { hasText: 'Available' }).count()) return;
  const available = page.getByRole('button', { name: 'Available' });
  await expect.poll(() => available.isEnabled(), { timeout: 20_000 }).toBe(true);
  await available.click();
  await page.locator('.presence-state', { hasText: 'Available' }).waitFor();
}

/** The call timer's seconds, as shown. */
async function timerSeconds(page: Page): Promise<number> {
  const text = (await page.locator('.timer').textContent()) ?? '';
  const [minutes, seconds] = (/(\d+):(\d\d)/.exec(text)?.slice(1) ?? ['0', '0']).map(Number);
  return (minutes ?? 0) * 60 + (seconds ?? 0);
}

/** The connection and the audio are back (no banner about them), the call on screen. */
async function connected(page: Page): Promise<void> {
  await page.locator('.banner[role="status"]').waitFor({ state: 'detached', timeout: 20_000 });
  await page.locator('section.call').waitFor();
}

/** The customer's side ended by itself at the end of its time: no early hang-up by Callbridge. */
function notDropped(output: string): void {
  expect(output).toMatch(/answered/);
  expect(output).toMatch(/hung up after \d+ s/);
  expect(output).not.toMatch(/Callbridge hung up/);
}

describe('a call in progress survives', () => {
  let context: BrowserContext;
  let page: Page;
  let network: Network;
  let problems: Problem[];

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && !page.isClosed()) {
      await screenshot(page, `failed-survival-${ctx.task.name.replace(/\W+/g, '-')}`);
    }
  });

  test('a reload: the call view comes back with its timer, the audio reconnects, the customer stays', async () => {
    context = await newContext(browser, openFrame);
    page = await context.newPage();
    problems = watch(page);
    network = await throughTheTest(page);
    await signIn(page);
    await goAvailable(page);
    // Signed out, the first page load was told 401 by GET /api/v1/session (Chromium logs it).
    problems.length = 0;
    const call = placeCall(demo, 25);
    try {
      await page.locator('section.ringing').waitFor({ timeout: 20_000 });
      await page.getByRole('button', { name: 'Answer' }).click();
      await page.locator('.timer').filter({ hasText: /00:0[3-9]/ }).waitFor({ timeout: 15_000 });
      const before = await timerSeconds(page);
      await page.reload();
      // Redrawn from the server's snapshot: the same call, its timer still counting from the answer.
      await page.locator('section.call').waitFor({ timeout: 15_000 });
      await connected(page);
      // The timer resumes from the server's elapsed time (call_snapshot's elapsed_ms) on this
      // page's clock: never behind what the old page showed.
      expect(await timerSeconds(page)).toBeGreaterThanOrEqual(before);
      await screenshot(page, 'survival-resumed-after-reload-360-en');
      expect(await seriousViolations(page)).toEqual([]);
      notDropped(await call.done);
      await page.locator('section.call').waitFor({ state: 'detached', timeout: 15_000 });
    } finally {
      call.stop();
    }
    expect(problems).toEqual([]);
  });

  test('a cut WebSocket: "Reconnecting" in English and Japanese, then the call resumes', async () => {
    await goAvailable(page);
    const call = placeCall(demo, 30);
    try {
      await page.locator('section.ringing').waitFor({ timeout: 20_000 });
      await page.getByRole('button', { name: 'Answer' }).click();
      await page.locator('.timer').filter({ hasText: /00:0[1-9]/ }).waitFor({ timeout: 15_000 });
      for (const lang of ['en', 'ja'] as const) {
        if (lang === 'ja') await page.getByRole('combobox', { name: 'Language' }).selectOption('ja');
        network.down = true;
        await network.current?.close({ code: 3000, reason: 'network cut (test)' });
        const reconnecting = lang === 'en' ? /Reconnecting/ : /再接続/;
        const banner = page.locator('.banner[role="status"]', { hasText: reconnecting });
        await banner.waitFor({ timeout: 5_000 });
        await page.locator('.banner-note', { hasText: lang === 'en' ? 'Your call is kept' : '通話は保たれています' }).waitFor();
        // The call stays on screen while the connection is away.
        await page.locator('section.call').waitFor();
        await screenshot(page, `survival-reconnecting-360-${lang}`);
        expect(await seriousViolations(page)).toEqual([]);
        await new Promise((r) => setTimeout(r, 1_500));
        network.down = false;
        await connected(page);
      }
      await page.getByRole('combobox', { name: '言語' }).selectOption('en');
      await screenshot(page, 'survival-resumed-after-cut-360-en');
      notDropped(await call.done);
    } finally {
      call.stop();
    }
    expect(problems).toEqual([]);
  });

  test('a second tab takes the call; the first offers "Use here" and takes it back', async () => {
    await goAvailable(page);
    const call = placeCall(demo, 35);
    try {
      await page.locator('section.ringing').waitFor({ timeout: 20_000 });
      await page.getByRole('button', { name: 'Answer' }).click();
      await page.locator('.timer').filter({ hasText: /00:0[1-9]/ }).waitFor({ timeout: 15_000 });

      const second = await context.newPage();
      const secondProblems = watch(second);
      await second.goto(`${demo.publicUrl}/?lang=en&tenant=demo`);
      // The call moved to the new tab...
      await second.locator('section.call').waitFor({ timeout: 15_000 });
      await connected(second);
      // ...and the first says where the softphone is now, in both languages.
      await page.getByRole('heading', { name: 'The softphone is open elsewhere' }).waitFor({ timeout: 10_000 });
      await screenshot(page, 'survival-other-tab-360-en');
      expect(await seriousViolations(page)).toEqual([]);
      await page.getByRole('combobox', { name: 'Language' }).selectOption('ja');
      await page.getByRole('button', { name: 'ここで使う' }).waitFor();
      await screenshot(page, 'survival-other-tab-360-ja');
      await page.getByRole('combobox', { name: '言語' }).selectOption('en');

      // "Use here" takes the softphone, and the call, back.
      await page.getByRole('button', { name: 'Use here' }).click();
      await page.locator('section.call').waitFor({ timeout: 15_000 });
      await connected(page);
      await second.getByRole('heading', { name: 'The softphone is open elsewhere' }).waitFor({ timeout: 10_000 });
      await screenshot(page, 'survival-used-here-360-en');
      notDropped(await call.done);
      await page.locator('section.call').waitFor({ state: 'detached', timeout: 15_000 });
      expect(secondProblems).toEqual([]);
    } finally {
      call.stop();
    }
    expect(problems).toEqual([]);
    await context.close();
  });
});
