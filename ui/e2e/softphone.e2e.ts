// The browser softphone served by the binary, in Debian's Chromium, against a real
// `callbridge demo`: the page and its headers, accessibility, both languages, and one agent's
// call from ringing to hang-up, then click-to-dial.
import type { Browser, Page } from 'playwright-core';
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
const desktop = { width: 1280, height: 800 };

/** Problems other than the answers a page is expected to get. */
function unexpected(problems: Problem[], allowed: RegExp[] = []): Problem[] {
  return problems.filter((p) => !allowed.some((a) => a.test(`${p.text} ${p.url}`)));
}

/** Signed out, the page asks `GET /api/v1/session` and is told 401, which Chromium logs. */
const signedOutAnswer = /Failed to load resource: the server responded with a status of 401 .*\/api\/v1\/session$/;

describe('the page', () => {
  test('is served with its headers, and the bundle with cache rules', async () => {
    const response = await fetch(`${demo.publicUrl}/?tenant=demo`, { headers: { 'Accept-Encoding': 'gzip' } });
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toMatch(/script-src 'self' https:\/\/127\.0\.0\.1:\d+;/);
    expect(csp).toMatch(/frame-ancestors 'self' https:\/\/127\.0\.0\.1:\d+;/);
    expect(csp).not.toContain('unsafe');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-frame-options')).toBeNull();
    expect(response.headers.get('cache-control')).toBe('no-cache');
    const html = await response.text();
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${demo.publicUrl}/${script ?? ''}`);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const plain = await fetch(`${demo.publicUrl}/`);
    expect(plain.headers.get('content-security-policy')).toContain("frame-ancestors 'self';");
    const etag = plain.headers.get('etag') ?? '';
    expect((await fetch(`${demo.publicUrl}/`, { headers: { 'If-None-Match': etag } })).status).toBe(304);
    expect((await fetch(`${demo.publicUrl}/no-such-page`)).status).toBe(404);
  });

  for (const [lang, title] of [['en', 'Sign in'], ['ja', 'サインイン']] as const) {
    test(`signed out, it shows the sign-in form (${lang}) with no CSP violation, no error, nothing serious for axe`, async () => {
      const context = await newContext(browser, openFrame);
      const page = await context.newPage();
      const problems = watch(page);
      await page.goto(`${demo.publicUrl}/?lang=${lang}`);
      await page.getByRole('heading', { name: title }).waitFor();
      expect(await page.getAttribute('html', 'lang')).toBe(lang);
      await screenshot(page, `sign-in-360-${lang}`);
      expect(await seriousViolations(page)).toEqual([]);
      expect(unexpected(problems, [signedOutAnswer])).toEqual([]);
      await context.close();
    });
  }
});

describe("an agent's call", () => {
  const agent = 'alice.agent';
  let page: Page;
  let problems: Problem[];

  // What the page showed when a step failed.
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail' && !page.isClosed()) {
      await screenshot(page, `failed-${context.task.name.replace(/\W+/g, '-')}`);
    }
  });

  test('signs in as the demo agent and links the CRM account from the page', async () => {
    const context = await newContext(browser, openFrame);
    page = await context.newPage();
    problems = watch(page);
    await page.goto(`${demo.publicUrl}/?lang=en&tenant=demo`);
    expect(await page.getByRole('textbox', { name: 'Contact center' }).inputValue()).toBe('demo');
    await page.getByRole('textbox', { name: 'User name' }).fill(agent);
    await page.getByLabel('Password').fill(demo.passwords.get(agent) ?? '');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Your CRM account is not linked.').waitFor({ timeout: 15_000 });
    await screenshot(page, 'signed-in-not-linked-360-en');
    // The link runs in a pop-up: Callbridge's start URL, the sandbox's sign-in, the callback.
    const [popup] = await Promise.all([
      page.waitForEvent('popup'),
      page.getByRole('button', { name: 'Connect ServiceNow' }).click(),
    ]);
    await popup.fill('#user_name', agent);
    await popup.fill('#user_password', demo.crmPasswords.get(agent) ?? '');
    await popup.click('#allow');
    await popup.getByText('CRM account linked').waitFor();
    await popup.close();
    // Linked, the panel folds away (its status stays in the page for screen readers).
    await page.getByText(`Linked as ${agent}.`).waitFor({ state: 'attached', timeout: 10_000 });
    expect(unexpected(problems, [signedOutAnswer])).toEqual([]);
  });

  test('shows the softphone, passes axe, and goes available', async () => {
    problems.length = 0;
    const available = page.getByRole('button', { name: 'Available' });
    await expect.poll(() => available.isEnabled(), { timeout: 15_000 }).toBe(true);
    await screenshot(page, 'softphone-360-en');
    expect(await seriousViolations(page)).toEqual([]);
    await available.click();
    await page.locator('.presence-state', { hasText: 'Available' }).waitFor();
    expect(unexpected(problems)).toEqual([]);
  });

  test('switches between English and Japanese', async () => {
    const language = page.getByRole('combobox', { name: 'Language' });
    await language.selectOption('ja');
    await page.getByRole('heading', { name: 'Callbridge ソフトフォン' }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('ja');
    await screenshot(page, 'softphone-360-ja');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('combobox', { name: '言語' }).selectOption('en');
    await page.getByRole('heading', { name: 'Callbridge softphone' }).waitFor();
  });

  test('rings with the contact, answers, runs the timer, shows the Case, hangs up', async () => {
    const call = placeCall(demo, 40);
    try {
      const ringing = page.locator('section.ringing');
      await ringing.waitFor({ timeout: 20_000 });
      await page.getByText('Haruto Tanaka').first().waitFor({ timeout: 10_000 });
      await screenshot(page, 'ringing-360-en');
      await page.getByRole('button', { name: 'Answer' }).click();
      // The timer runs: one second, then later ones (a busy machine may paint 00:03 after 00:01).
      const timer = page.locator('.timer');
      await timer.filter({ hasText: /00:01/ }).waitFor({ timeout: 10_000 });
      await timer.filter({ hasText: /00:(0[2-9]|[1-5]\d)/ }).waitFor({ timeout: 5_000 });
      await page.locator('.badge', { hasText: /Case CS\d+/ }).waitFor({ timeout: 20_000 });
      await screenshot(page, 'on-call-360-en');
      await page.setViewportSize(desktop);
      await screenshot(page, 'on-call-desktop-en');
      await page.getByRole('combobox', { name: 'Language' }).selectOption('ja');
      await screenshot(page, 'on-call-desktop-ja');
      await page.setViewportSize(openFrame);
      await screenshot(page, 'on-call-360-ja');
      await page.getByRole('combobox', { name: '言語' }).selectOption('en');
      await page.getByRole('button', { name: 'Hang up' }).click();
      await page.locator('section.call').waitFor({ state: 'detached', timeout: 10_000 });
      await screenshot(page, 'after-call-360-en');
      expect(await call.done).toMatch(/answered/);
    } finally {
      call.stop();
    }
    expect(unexpected(problems)).toEqual([]);
  });

  test("opens the call's recording from its Case link, signs in with the CRM, and plays", async () => {
    // The link Callbridge wrote into the Case, read as a CRM user with rights sees it (which also
    // signs this browser in at the CRM, as working in the CRM would).
    const viewer = 'bob.agent';
    const context = await newContext(browser, desktop);
    const basic = Buffer.from(`${viewer}:${demo.crmPasswords.get(viewer) ?? ''}`).toString('base64');
    const cases = await context.request.get(
      `${demo.sandboxUrl}/api/now/table/sn_customerservice_case?sysparm_query=ORDERBYDESCsys_created_on&sysparm_limit=1`,
      { headers: { Authorization: `Basic ${basic}`, Accept: 'application/json' } },
    );
    expect(cases.status()).toBe(200);
    const row = ((await cases.json()) as { result: Record<string, unknown>[] }).result[0] ?? {};
    const link = Object.values(row).find((v): v is string => typeof v === 'string' && v.includes('/recordings/'));
    expect(link, JSON.stringify(row)).toBeDefined();
    const viewerPage = await context.newPage();
    const viewerProblems = watch(viewerPage);
    await viewerPage.goto(link ?? '');
    // The demo's two tenants (the contact center and the customer page's carrier side) share one
    // CRM sign-in (same instance and OAuth client), so there is no CRM to choose.
    // Signed in at the CRM already (as when the link is clicked on the Case's form there), the
    // viewer is asked only whether Callbridge may check their access.
    expect(await viewerPage.locator('#signed-in-user').textContent()).toBe(viewer);
    await viewerPage.click('#allow');
    // The page refreshes by itself while the recording is still being stored.
    await viewerPage.locator('#audio').waitFor({ state: 'attached', timeout: 30_000 });
    await viewerPage.locator('#play').click();
    await expect
      .poll(() => viewerPage.locator('#audio').evaluate((audio: HTMLAudioElement) => audio.currentTime), { timeout: 10_000 })
      .toBeGreaterThan(0.3);
    await screenshot(viewerPage, 'recording-desktop-en');
    expect(await seriousViolations(viewerPage)).toEqual([]);
    expect(unexpected(viewerProblems)).toEqual([]);
    await context.close();
  });

  test('shows a hostile contact name as text', async () => {
    // A contact whose name is markup, saved in the CRM by an agent with create rights.
    const hostile = `<img src=x onerror="window.pwned=1">`;
    const number = '+819011112222';
    const writer = 'bob.agent';
    const basic = Buffer.from(`${writer}:${demo.crmPasswords.get(writer) ?? ''}`).toString('base64');
    const created = await page.context().request.post(`${demo.sandboxUrl}/api/now/table/customer_contact`, {
      headers: { Authorization: `Basic ${basic}`, Accept: 'application/json' },
      data: { first_name: hostile, last_name: 'Test', name: `${hostile} Test`, mobile_phone: number },
    });
    expect(created.status()).toBe(201);
    problems.length = 0;
    const call = placeCall(demo, 20, number);
    try {
      await page.locator('section.ringing').waitFor({ timeout: 20_000 });
      await page.getByText(`${hostile} Test`).first().waitFor({ timeout: 10_000 });
      expect(await page.locator('img[src="x"]').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
      await screenshot(page, 'ringing-hostile-name-360-en');
      await page.getByRole('button', { name: 'Answer' }).click();
      await page.getByRole('button', { name: 'Hang up' }).click();
      await page.locator('section.call').waitFor({ state: 'detached', timeout: 10_000 });
    } finally {
      call.stop();
    }
    expect(unexpected(problems)).toEqual([]);
  });

  test('dials a number given by ?dial=', async () => {
    // The same browser, signed in: the link a CRM or another page opens.
    const context = page.context();
    await page.close();
    page = await context.newPage();
    problems = watch(page);
    await page.goto(`${demo.publicUrl}/?lang=en&dial=%2B81355550100`);
    const number = page.getByRole('textbox', { name: /number/i });
    await expect.poll(() => number.inputValue(), { timeout: 15_000 }).toBe('+81355550100');
    const call = page.getByRole('button', { name: 'Call', exact: true });
    await expect.poll(() => call.isEnabled(), { timeout: 15_000 }).toBe(true);
    // A new connection starts away; calls are placed when available.
    await page.getByRole('button', { name: 'Available' }).click();
    await page.locator('.presence-state', { hasText: 'Available' }).waitFor();
    await call.click();
    await page.locator('section.call').waitFor({ timeout: 10_000 });
    await screenshot(page, 'dialing-360-en');
    await page.getByRole('button', { name: /Cancel|Hang up/ }).click();
    await page.locator('section.call').waitFor({ state: 'detached', timeout: 15_000 });
    expect(unexpected(problems)).toEqual([]);
    await context.close();
  });
});

describe("the CRM's OpenFrame panel", () => {
  test('frames the softphone: the instance is the tenant CRM the page lets frame it', async () => {
    const agent = 'bob.agent';
    const context = await newContext(browser, desktop);
    const crm = await context.newPage();
    const problems = watch(crm);
    await crm.goto(`${demo.sandboxUrl}/login.do`);
    await crm.fill('#user_name', agent);
    await crm.fill('#user_password', demo.crmPasswords.get(agent) ?? '');
    await crm.click('#sysverb_login');
    await crm.locator('#openframe-toggle').click();
    const panel = crm.frameLocator('iframe.of-frame');
    await panel.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 15_000 });
    expect(await panel.getByRole('textbox', { name: 'Contact center' }).inputValue()).toBe('demo');
    // Signed in inside the CRM (its own, partitioned session), the softphone runs docked.
    await panel.getByRole('textbox', { name: 'User name' }).fill(agent);
    await panel.getByLabel('Password').fill(demo.passwords.get(agent) ?? '');
    await panel.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => panel.getByRole('button', { name: 'Available' }).isEnabled(), { timeout: 15_000 }).toBe(true);
    await screenshot(crm, 'openframe-desktop-en');
    // The sandbox serves no favicon (its business, not the softphone's).
    const sandboxFavicon = new RegExp(`status of 404 .* ${demo.sandboxUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/favicon\\.ico$`);
    expect(unexpected(problems, [signedOutAnswer, sandboxFavicon])).toEqual([]);
    await context.close();
  });
});
