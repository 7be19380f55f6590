// Click-to-dial as an agent does it in the sandbox's workspace: open a contact's form, click one
// of its numbers, the docked softphone's dial screen shows it (timed in the page, one clock for
// both frames), Call; sipp, where the demo's outbound trunk points, answers; the call's Case links
// to the contact whose form the number was clicked on, even though another contact holds the
// same number.
import type { FrameLocator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  agentBrowser, contactId, crmTable, expectedAnswers, linkCrm, openWorkspace, setPresence, signIn, unexpectedProblems,
} from './agents';
import { screenshot, seriousViolations, watch, type Problem } from './browser';
import { startDemo, type Demo } from './demo';
import { clickAt, frameAt, whenTextAppears } from './measure';
import { sippAnswerer } from './sipp';

let demo: Demo;
let browser: Awaited<ReturnType<typeof agentBrowser>>;
let page: Page;
let phone: FrameLocator;
let problems: Problem[];

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
    await screenshot(shown, `failed-${context.task.name.replace(/\W+/g, '-')}`);
  }
});

describe('click-to-dial from a contact form in the workspace', () => {
  test('alice docks the softphone, links her CRM account and goes available', async () => {
    page = await browser.context.newPage();
    problems = watch(page);
    phone = await openWorkspace(page, demo, 'alice.agent');
    await signIn(phone, demo, 'alice.agent');
    await linkCrm(page, phone, demo, 'alice.agent');
    await setPresence(phone, true);
  });

  test('a number clicked on the form fills the dial screen; Call; sipp answers; the Case links to that contact', async () => {
    const main = page.frameLocator('#gsft_main');
    // Haruto Tanaka's form, opened from the contact list as an agent would.
    await main.getByRole('link', { name: 'Haruto Tanaka' }).first().click();
    const haruto = await contactId(demo, 'Haruto Tanaka');
    await expect.poll(() => page.frame({ name: 'gsft_main' })?.url() ?? '').toContain(`customer_contact.do?sys_id=${haruto}`);
    // His business number, 03-1234-5678, is Yui Sato's too (as +81 3-1234-5678): only the record
    // it was clicked on says whose call this is.
    const link = main.locator('a.phone', { hasText: '03-1234-5678' });
    await link.waitFor();

    const shown = await whenTextAppears(frameAt(page, demo.publicUrl), 'Will dial +81312345678');
    const clicked = await clickAt(page.frame({ name: 'gsft_main' }) ?? page.mainFrame(), link);
    const latency = (await shown()) - clicked;
    console.log(`click-to-dial: the dial screen showed the number ${latency.toFixed(1)} ms after the click`);
    expect(await phone.getByRole('textbox', { name: /number/i }).inputValue()).toBe('0312345678');
    await phone.getByText('From a customer_contact record').waitFor();
    // The call is one click away in the panel as it is, without scrolling.
    const call = phone.getByRole('button', { name: 'Call', exact: true });
    expect(await call.evaluate((b) => b.getBoundingClientRect().bottom <= window.innerHeight && window.scrollY === 0)).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'workspace-click-to-dial-en');
    await phone.getByRole('combobox', { name: 'Language' }).selectOption('ja');
    await phone.getByText('+81312345678 に発信します', { exact: false }).waitFor();
    await screenshot(page, 'workspace-click-to-dial-ja');
    await phone.getByRole('combobox', { name: '言語' }).selectOption('en');

    const called = await sippAnswerer(demo.outboundTrunk.port);
    try {
      await call.click();
      await phone.locator('section.call').waitFor({ timeout: 10_000 });
      await phone.locator('.timer').filter({ hasText: /00:0[1-9]/ }).waitFor({ timeout: 15_000 });
      const badge = phone.locator('.badge', { hasText: /Case CS\d+/ });
      await badge.waitFor({ timeout: 20_000 });
      await screenshot(page, 'workspace-outbound-on-call-en');
      const label = ((await badge.textContent()) ?? '').replace('Case ', '');
      await phone.getByRole('combobox', { name: 'Language' }).selectOption('ja');
      await phone.getByText(`ケース ${label}`).waitFor();
      await screenshot(page, 'workspace-outbound-on-call-ja');
      await phone.getByRole('combobox', { name: '言語' }).selectOption('en');
      const [kase] = await crmTable(demo, 'bob.agent', 'sn_customerservice_case', `number=${label}`);
      expect(kase?.contact).toBe(haruto);
      await phone.getByRole('button', { name: 'Hang up' }).click();
      await phone.locator('section.call').waitFor({ state: 'detached', timeout: 10_000 });
      expect(await called.done, called.output()).toBe(0);
    } finally {
      called.stop();
    }
    expect(unexpectedProblems(problems, expectedAnswers)).toEqual([]);
  });
});
