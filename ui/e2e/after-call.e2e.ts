// After-call work as an agent does it, docked in the sandbox workspace's OpenFrame panel, against
// a real `callbridge demo`: a call to the demo's second number (queue `billing`, 60 s of
// after-call work; the banner's `after-call work` line) ends; the softphone shows "After-call
// work" with its countdown; a reload of the workspace brings the form back with the same
// countdown (the server's time left, not the browser's clock); the agent picks an outcome, writes
// notes and saves; the Case's work note holds both, read through the Table API
// (`sys_journal_field`) and on the Case's form in the workspace; the softphone, reloaded again,
// says the note is saved instead of offering the form.
import type { FrameLocator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  agentBrowser, casesOfCall, crmTable, expectedAnswers, linkCrm, openWorkspace, ringingCallId, setPresence, signIn,
  unexpectedProblems,
} from './agents';
import { screenshot, seriousViolations, watch, type Problem } from './browser';
import { placeCall, startDemo, type Demo } from './demo';

let demo: Demo;
let browser: Awaited<ReturnType<typeof agentBrowser>>;
let page: Page;
let phone: FrameLocator;
let problems: Problem[];
let caseId = '';

beforeAll(async () => {
  [demo, browser] = await Promise.all([startDemo(), agentBrowser({ width: 1400, height: 900 })]);
});

afterAll(async () => {
  await browser.close();
  await demo.stop();
});

afterEach(async (context) => {
  const shown = page as Page | undefined;
  if (context.task.result?.state === 'fail' && shown && !shown.isClosed()) {
    await screenshot(shown, `after-call-failed-${context.task.name.replace(/\W+/g, '-')}`);
  }
});

/** The countdown's seconds as the form shows them ("You become available in 52 s."). */
async function secondsLeft(): Promise<number> {
  const text = await phone.locator('.wrap-up .meta').first().textContent({ timeout: 10_000 });
  const seconds = /in (\d+) s/.exec(text ?? '')?.[1];
  if (seconds === undefined) throw new Error(`no countdown in the after-call form: ${String(text)}`);
  return Number(seconds);
}

describe('after-call work, docked in the workspace', () => {
  test('alice signs in, links her CRM account and goes available', async () => {
    expect(demo.afterCallNumber, 'the banner names the number with after-call work').toMatch(/^\+\d+$/);
    page = await browser.context.newPage();
    problems = watch(page);
    phone = await openWorkspace(page, demo, 'alice.agent');
    await signIn(phone, demo, 'alice.agent');
    await linkCrm(page, phone, demo, 'alice.agent');
    await setPresence(phone, true);
  });

  test('a call to the billing number ends in after-call work with a countdown', async () => {
    const call = placeCall(demo, 60, undefined, demo.afterCallNumber ?? '');
    try {
      const callId = await ringingCallId(phone);
      await phone.getByRole('button', { name: 'Answer' }).click();
      await phone.locator('.badge', { hasText: /Case CS\d+/ }).waitFor({ timeout: 20_000 });
      await expect.poll(async () => (await casesOfCall(demo, callId)).length, { timeout: 10_000 }).toBe(1);
      caseId = String((await casesOfCall(demo, callId))[0]?.sys_id);
      await phone.getByRole('button', { name: 'Hang up' }).click();
      await phone.getByRole('heading', { name: 'After-call work' }).waitFor({ timeout: 10_000 });
      await phone.locator('.presence-state', { hasText: 'After-call work' }).waitFor();
      // The workspace's panel says it too (OpenFrame's presence indicator).
      await expect.poll(() => page.locator('#openframe .of-presence').textContent()).toBe('After-call work');
      const left = await secondsLeft();
      expect(left).toBeGreaterThan(40);
      expect(left).toBeLessThanOrEqual(60);
      expect(await call.done).toMatch(/Callbridge hung up/);
      await screenshot(page, 'after-call-form-en');
      expect(await seriousViolations(page)).toEqual([]);
    } finally {
      call.stop();
    }
  });

  test('a reload of the workspace brings the form back, counting on from the same end', async () => {
    const before = await secondsLeft();
    const reloadedAt = Date.now();
    await page.reload();
    // The panel stays open across the tab's pages; the softphone comes back signed in.
    phone = page.frameLocator('#openframe iframe');
    await phone.getByRole('heading', { name: 'After-call work' }).waitFor({ timeout: 30_000 });
    const after = await secondsLeft();
    const elapsed = Math.round((Date.now() - reloadedAt) / 1000);
    // The end did not move: what is left went down by about the time the reload took.
    expect(after).toBeLessThanOrEqual(before);
    expect(Math.abs(before - after - elapsed)).toBeLessThanOrEqual(3);
    await phone.getByRole('combobox', { name: 'Language' }).selectOption('ja');
    await phone.getByRole('heading', { name: '後処理' }).waitFor();
    await screenshot(page, 'after-call-form-ja');
    expect(await seriousViolations(page)).toEqual([]);
    await phone.getByRole('combobox', { name: '言語' }).selectOption('en');
    await phone.getByRole('heading', { name: 'After-call work' }).waitFor();
  });

  test('the outcome and notes are saved to the Case, once, as one work note', async () => {
    const notes = 'Customer asked for <b>a call back</b> on Monday.';
    await phone.getByRole('combobox', { name: 'Outcome' }).selectOption({ label: 'Follow-up needed' });
    await phone.getByRole('textbox', { name: 'Notes for the Case' }).fill(notes);
    await phone.getByRole('button', { name: 'Save to the Case' }).click();
    await phone.getByText('Saved to the Case.').waitFor({ timeout: 20_000 });
    // Saved once: the button stays disabled.
    expect(await phone.getByRole('button', { name: 'Save to the Case' }).isDisabled()).toBe(true);
    const entries = await crmTable(demo, 'bob.agent', 'sys_journal_field', `element_id=${caseId}^element=work_notes`);
    expect(entries.map((e) => e.value)).toEqual([`Disposition: Follow-up needed (follow_up)\n\n${notes}`]);
    await screenshot(page, 'after-call-saved-en');

    // The Case's form in the workspace shows the note under Activity, as text.
    await page.goto(`${demo.sandboxUrl}/sn_customerservice_case.do?sys_id=${caseId}`);
    const form = page.frameLocator('#gsft_main');
    const entry = form.locator('.journal-entry[data-element="work_notes"]');
    await entry.waitFor({ timeout: 10_000 });
    expect(await entry.locator('.journal-value').textContent()).toBe(`Disposition: Follow-up needed (follow_up)\n\n${notes}`);
    // That navigation reloaded the docked softphone too: it says the note is saved, and does
    // not offer the form again.
    phone = page.frameLocator('#openframe iframe');
    await phone.getByText('Saved to the Case.').waitFor({ timeout: 20_000 });
    expect(await phone.getByRole('button', { name: 'Save to the Case' }).isDisabled()).toBe(true);
    await screenshot(page, 'after-call-case-activity');
  });

  test('back to available by hand', async () => {
    phone = page.frameLocator('#openframe iframe');
    const back = phone.getByRole('button', { name: 'Back to available' });
    if (await back.count()) await back.click();
    else await setPresence(phone, true);
    await phone.locator('.presence-state', { hasText: 'Available' }).waitFor({ timeout: 20_000 });
    expect(unexpectedProblems(problems, expectedAnswers)).toEqual([]);
  });
});
