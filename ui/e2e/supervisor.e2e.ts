// The supervisor's console pages in Debian's Chromium against a real `callbridge demo`: the live
// wall follows one call of the demo agent through ringing, talking and its end, pushed by the
// server; then the call is in the history with its recording link, the CSV holds it and the
// charts count it; last, a call to the billing number goes on into after-call work and back to
// available on the wall. Both
// languages, axe-clean, no CSP violation, no console error.
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

const desktop = { width: 1280, height: 860 };
const openFrame = { width: 360, height: 640 };
const agent = 'alice.agent';
const supervisor = 'sam.supervisor';
/** Signed out, a page asks `GET /api/v1/session` and is told 401, which Chromium logs. */
const signedOutAnswer = /Failed to load resource: the server responded with a status of 401 .*\/api\/v1\/session$/;

function unexpected(problems: Problem[], allowed: RegExp[] = []): Problem[] {
  return problems.filter((p) => !allowed.some((a) => a.test(`${p.text} ${p.url}`)));
}

async function signIn(page: Page, user: string): Promise<void> {
  const tenant = page.getByRole('textbox', { name: 'Contact center' });
  if ((await tenant.inputValue()) === '') await tenant.fill('demo');
  await page.getByRole('textbox', { name: 'User name' }).fill(user);
  await page.getByLabel('Password').fill(demo.passwords.get(user) ?? '');
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('the supervisor', () => {
  let agentPage: Page;
  let wall: Page;
  /** The pages opened so far, for a screenshot of each when a step fails. */
  const opened: [string, Page][] = [];
  let problems: Problem[];
  let callId = '';

  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') {
      for (const [name, page] of opened) {
        if (!page.isClosed()) await screenshot(page, `supervisor-failed-${name}-${context.task.name.replace(/\W+/g, '-')}`);
      }
    }
  });

  test('the agent signs in and goes available', async () => {
    const context = await newContext(browser, openFrame);
    agentPage = await context.newPage();
    opened.push(['agent', agentPage]);
    await agentPage.goto(`${demo.publicUrl}/?lang=en&tenant=demo`);
    await signIn(agentPage, agent);
    const available = agentPage.getByRole('button', { name: 'Available' });
    await expect.poll(() => available.isEnabled(), { timeout: 20_000 }).toBe(true);
    await available.click();
    await agentPage.locator('.presence-state', { hasText: 'Available' }).waitFor();
  });

  test('opens the live wall: queues and agents as they are, axe-clean', async () => {
    const context = await newContext(browser, desktop);
    wall = await context.newPage();
    opened.push(['wall', wall]);
    problems = watch(wall);
    await wall.goto(`${demo.publicUrl}/console?lang=en#/live-wall`);
    await signIn(wall, supervisor);
    await wall.getByRole('heading', { name: 'Live wall', level: 1 }).waitFor({ timeout: 15_000 });
    await wall.locator('[data-connection="live"]').waitFor({ timeout: 10_000 });
    const alice = wall.locator(`tr[data-agent="${agent}"]`);
    await alice.locator('[data-field="state"]', { hasText: 'Available' }).waitFor({ timeout: 10_000 });
    await wall.locator('li[data-queue="support"]').waitFor();
    expect(await seriousViolations(wall)).toEqual([]);
    expect(unexpected(problems, [signedOutAnswer])).toEqual([]);
  });

  test('the wall follows a call through ringing, talking and its end', async () => {
    problems.length = 0;
    const queue = wall.locator('li[data-queue="support"]');
    const answeredBefore = Number(await queue.locator('[data-figure="answered"]').textContent());
    const alice = wall.locator(`tr[data-agent="${agent}"]`);
    const call = placeCall(demo, 40);
    try {
      // Ringing: the queue has a waiting call and the agent's row shows it with its number.
      await alice.locator('[data-field="state"]', { hasText: 'Ringing' }).waitFor({ timeout: 20_000 });
      await queue.locator('[data-figure="waiting"]', { hasText: '1' }).waitFor({ timeout: 5_000 });
      expect(await alice.locator('[data-field="call"]').textContent()).toMatch(/Inbound\s*\+\d+/);
      await screenshot(wall, 'supervisor-wall-ringing-en');
      await agentPage.getByRole('button', { name: 'Answer' }).click();
      // Talking: the wait is over and counted; the call's duration runs.
      await alice.locator('[data-field="state"]', { hasText: 'On a call' }).waitFor({ timeout: 5_000 });
      await queue.locator('[data-figure="waiting"]', { hasText: '0' }).waitFor({ timeout: 5_000 });
      await queue.locator('[data-figure="answered"]', { hasText: String(answeredBefore + 1) }).waitFor({ timeout: 5_000 });
      await alice.locator('[data-field="call-duration"]').filter({ hasText: /00:0[1-9]|00:[1-5]\d/ }).waitFor({ timeout: 5_000 });
      await screenshot(wall, 'supervisor-wall-en');
      await wall.getByRole('combobox', { name: 'Language' }).selectOption('ja');
      await wall.getByRole('heading', { name: 'リアルタイムモニター', level: 1 }).waitFor();
      await alice.locator('[data-field="state"]', { hasText: '通話中' }).waitFor();
      await screenshot(wall, 'supervisor-wall-ja');
      expect(await seriousViolations(wall)).toEqual([]);
      await wall.getByRole('combobox', { name: '言語' }).selectOption('en');
      callId = (await alice.getAttribute('data-call')) ?? '';
      // The end: the agent hangs up; the row goes on to after-call work or available, no call.
      await agentPage.getByRole('button', { name: 'Hang up' }).click();
      await alice.locator('[data-field="state"]', { hasText: /After-call work|Available/ }).waitFor({ timeout: 5_000 });
      expect(await alice.locator('[data-field="call"]').textContent()).toBe('—');
      await screenshot(wall, 'supervisor-wall-ended-en');
      expect(await call.done).toMatch(/answered/);
    } finally {
      call.stop();
    }
    expect(callId).not.toBe('');
    expect(unexpected(problems)).toEqual([]);
  });

  test('the call is in the history with its recording link, and in the CSV', async () => {
    problems.length = 0;
    await wall.goto(`${demo.publicUrl}/console?lang=en#/call-history`);
    await wall.getByRole('heading', { name: 'Call history', level: 1 }).waitFor({ timeout: 10_000 });
    const row = wall.locator(`tr[data-call="${callId}"]`);
    await row.waitFor({ timeout: 15_000 });
    const recording = row.locator('a[data-link="recording"]');
    expect(await recording.getAttribute('href')).toBe(`${demo.publicUrl}/recordings/${callId}`);
    expect(await row.textContent()).toContain('Answered');
    await wall.getByRole('textbox', { name: 'Agent' }).fill(agent);
    await wall.getByRole('button', { name: 'Search' }).click();
    await row.waitFor();
    await screenshot(wall, 'supervisor-history-en');
    expect(await seriousViolations(wall)).toEqual([]);
    // A filter the server cannot read is answered in words.
    await wall.getByRole('textbox', { name: 'Customer number' }).fill('hello');
    await wall.getByRole('button', { name: 'Search' }).click();
    await wall.getByRole('alert').filter({ hasText: 'is not a phone number' }).waitFor({ timeout: 5_000 });
    await wall.getByRole('button', { name: 'Clear filters' }).click();
    await row.waitFor();
    await wall.getByRole('combobox', { name: 'Language' }).selectOption('ja');
    await wall.getByRole('heading', { name: '通話履歴', level: 1 }).waitFor();
    await row.locator('a[data-link="recording"]').waitFor();
    await screenshot(wall, 'supervisor-history-ja');
    expect(await seriousViolations(wall)).toEqual([]);
    const csv = await wall.context().request.get(`${demo.publicUrl}/api/v1/console/calls.csv?agent=${agent}`);
    expect(csv.status()).toBe(200);
    expect(await csv.text()).toContain(`${callId},`);
    // The 400 above is a console error Chromium logs; nothing else is.
    expect(unexpected(problems, [/status of 400 .*\/api\/v1\/console\/calls/])).toEqual([]);
  });

  test('the charts count the call in its interval, drawn and as a table', async () => {
    problems.length = 0;
    await wall.goto(`${demo.publicUrl}/console?lang=en#/charts`);
    // The language chosen on the previous page stays chosen.
    await wall.getByRole('combobox', { name: /^(Language|言語)$/ }).selectOption('en');
    await wall.getByRole('heading', { name: 'Charts', level: 1 }).waitFor({ timeout: 10_000 });
    const totals = wall.locator('.chart-totals');
    await totals.locator('[data-figure="inbound"] dd', { hasText: /^1$/ }).waitFor({ timeout: 10_000 });
    expect(await totals.locator('[data-figure="answered"] dd').textContent()).toBe('1');
    expect(await totals.locator('[data-figure="service-level"] dd').textContent()).toMatch(/^\d+(\.\d)?%$/);
    // Both plots are drawn (uPlot, loaded on demand) and the table holds every half hour of the day.
    await wall.locator('figure[aria-labelledby="chart-calls"] canvas').first().waitFor({ timeout: 10_000 });
    expect(await wall.locator('figure.chart canvas').count()).toBeGreaterThanOrEqual(2);
    await wall.getByText('The figures as a table').click();
    const rows = wall.locator('.chart-table tbody tr');
    expect(await rows.count()).toBeGreaterThanOrEqual(46); // 48, or 46/50 on a day the clock changes
    const busy = rows.filter({ has: wall.locator('td', { hasText: /^1$/ }) });
    expect(await busy.count()).toBe(1);
    await screenshot(wall, 'supervisor-charts-en');
    expect(await seriousViolations(wall)).toEqual([]);
    await wall.getByRole('combobox', { name: 'Interval' }).selectOption('3600');
    await wall.getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => rows.count(), { timeout: 5_000 }).toBeLessThanOrEqual(25);
    await wall.getByRole('combobox', { name: 'Language' }).selectOption('ja');
    await wall.getByRole('heading', { name: 'グラフ', level: 1 }).waitFor();
    await wall.getByText('時間帯ごとの通話数').waitFor();
    await screenshot(wall, 'supervisor-charts-ja');
    expect(await seriousViolations(wall)).toEqual([]);
    await wall.getByRole('combobox', { name: '言語' }).selectOption('en');
    expect(unexpected(problems)).toEqual([]);
  });

  test('after a call to the billing number the wall shows after-call work, then available', async () => {
    problems.length = 0;
    await wall.goto(`${demo.publicUrl}/console?lang=en#/live-wall`);
    await wall.getByRole('heading', { name: 'Live wall', level: 1 }).waitFor({ timeout: 10_000 });
    await wall.locator('[data-connection="live"]').waitFor({ timeout: 10_000 });
    expect(demo.afterCallNumber, 'the banner names the number with after-call work').toMatch(/^\+\d+$/);
    const queue = wall.locator('li[data-queue="billing"]');
    await queue.waitFor();
    const alice = wall.locator(`tr[data-agent="${agent}"]`);
    const state = alice.locator('[data-field="state"]');
    const call = placeCall(demo, 40, undefined, demo.afterCallNumber ?? '');
    try {
      await state.filter({ hasText: 'Ringing' }).waitFor({ timeout: 20_000 });
      await queue.locator('[data-figure="waiting"]', { hasText: '1' }).waitFor({ timeout: 5_000 });
      await agentPage.getByRole('button', { name: 'Answer' }).click();
      await state.filter({ hasText: 'On a call' }).waitFor({ timeout: 5_000 });
      await agentPage.getByRole('button', { name: 'Hang up' }).click();
      // The billing queue's 60 s of after-call work: the row says so, with no call, and its time
      // in state runs.
      await state.filter({ hasText: 'After-call work' }).waitFor({ timeout: 5_000 });
      expect(await alice.locator('[data-field="call"]').textContent()).toBe('—');
      await alice.locator('[data-field="time-in-state"]').filter({ hasText: /00:0[1-9]|00:[1-5]\d/ }).waitFor({ timeout: 5_000 });
      await screenshot(wall, 'supervisor-wall-after-call-work-en');
      expect(await seriousViolations(wall)).toEqual([]);
      // The agent ends it by hand; the wall follows at once.
      await agentPage.getByRole('button', { name: 'Back to available' }).click();
      await state.filter({ hasText: 'Available' }).waitFor({ timeout: 5_000 });
      expect(await call.done).toMatch(/answered/);
    } finally {
      call.stop();
    }
    expect(unexpected(problems)).toEqual([]);
  });

  test('an agent is refused the console API', async () => {
    const answer = await agentPage.context().request.get(`${demo.publicUrl}/api/v1/console/calls`);
    expect(answer.status()).toBe(403);
    const wallAnswer = await agentPage.context().request.get(`${demo.publicUrl}/api/v1/console/wall`);
    expect(wallAnswer.status()).toBe(403);
  });
});
