// The screen pop's three answers as an agent meets them, docked in the sandbox workspace's
// OpenFrame panel: several records hold the caller's number (the chooser; the chosen record opens
// in the workspace and the call's Case links to it), nobody holds it (the new-contact form,
// prefilled), and, in another browser, an agent who never linked a CRM account (no pop, and why).
import type { FrameLocator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  agentBrowser, casesOfCall, contactId, expectedAnswers, linkCrm, openWorkspace, ringingCallId, setPresence, signIn,
  unexpectedProblems,
} from './agents';
import { launch, newContext, screenshot, seriousViolations, watch, type Problem } from './browser';
import { placeCall, startDemo, type Demo } from './demo';

let demo: Demo;
let browser: { close: () => Promise<void>; context: import('playwright-core').BrowserContext };
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

/** The workspace's main frame (lists and forms), as the browser has it now. */
function mainFrameUrl(): string {
  return page.frame({ name: 'gsft_main' })?.url() ?? '';
}

/** Takes the same screen in Japanese, then returns to English. */
async function screenshotBothLanguages(name: string): Promise<void> {
  await screenshot(page, `${name}-en`);
  await phone.getByRole('combobox', { name: 'Language' }).selectOption('ja');
  await phone.getByRole('heading', { name: 'Callbridge ソフトフォン' }).waitFor();
  // The panel's presence indicator is said again in the new language.
  await expect.poll(() => page.locator('#openframe .of-presence').textContent()).toBe('対応中');
  await screenshot(page, `${name}-ja`);
  await phone.getByRole('combobox', { name: '言語' }).selectOption('en');
  await phone.getByRole('heading', { name: 'Callbridge softphone' }).waitFor();
}

describe('docked in the workspace, alice', () => {
  test('signs in, links her CRM account and goes available', async () => {
    page = await browser.context.newPage();
    problems = watch(page);
    phone = await openWorkspace(page, demo, 'alice.agent');
    await signIn(phone, demo, 'alice.agent');
    await linkCrm(page, phone, demo, 'alice.agent');
    await setPresence(phone, true);
    expect(unexpectedProblems(problems, expectedAnswers)).toEqual([]);
  });

  test('several records hold the number: the chooser; the chosen one opens and the Case links to it', async () => {
    problems.length = 0;
    // 03-1234-5678 is Haruto Tanaka's business phone and, as +81 3-1234-5678, Yui Sato's.
    const call = placeCall(demo, 40, '+81312345678');
    try {
      const callId = await ringingCallId(phone);
      const chooser = phone.getByRole('heading', { name: '2 records hold this number. Who is calling?' });
      await chooser.waitFor({ timeout: 10_000 });
      await expect.poll(() => phone.locator('.chooser .choice-name').allTextContents()).toEqual(
        expect.arrayContaining(['Haruto Tanaka', 'Yui Sato']),
      );
      // Nothing opens by itself while the agent has not said who is calling.
      expect(mainFrameUrl()).not.toContain('customer_contact.do');
      expect(await seriousViolations(page)).toEqual([]);
      await screenshotBothLanguages('workspace-chooser');

      const yui = await contactId(demo, 'Yui Sato');
      await phone.getByRole('button', { name: /This is Yui Sato/ }).click();
      // The chosen record opens in the workspace, and the panel shows it as the call's contact.
      await expect.poll(mainFrameUrl, { timeout: 10_000 }).toContain(`customer_contact.do?sys_id=${yui}`);
      await page.frameLocator('#gsft_main').getByText('Yui Sato').first().waitFor();
      await phone.locator('.contact .card-title', { hasText: 'Yui Sato' }).waitFor();
      await expect.poll(() => phone.locator('.chooser').count()).toBe(0);

      await phone.getByRole('button', { name: 'Answer' }).click();
      const badge = phone.locator('.badge', { hasText: /Case CS\d+/ });
      await badge.waitFor({ timeout: 20_000 });
      await screenshotBothLanguages('workspace-chosen-contact-on-call');
      const label = (await badge.textContent())?.replace('Case ', '') ?? '';
      const cases = await casesOfCall(demo, callId);
      expect(cases.map((c) => c.number)).toEqual([label]);
      expect(cases[0]?.contact).toBe(yui);

      await phone.getByRole('button', { name: 'Hang up' }).click();
      await phone.locator('section.call').waitFor({ state: 'detached', timeout: 10_000 });
      expect(await call.done).toMatch(/answered/);
    } finally {
      call.stop();
    }
    expect(unexpectedProblems(problems, expectedAnswers)).toEqual([]);
  });

  test('nobody holds the number: "New contact" opens the new-contact form with the number filled in', async () => {
    problems.length = 0;
    await setPresence(phone, true);
    const number = '+819099990000';
    const call = placeCall(demo, 30, number);
    try {
      await ringingCallId(phone);
      await phone.getByRole('heading', { name: 'No record holds this number' }).waitFor({ timeout: 10_000 });
      await phone.getByText(`Create a contact with ${number}?`).waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      await screenshotBothLanguages('workspace-new-contact');

      await phone.getByRole('button', { name: 'New contact' }).click();
      await expect.poll(mainFrameUrl, { timeout: 10_000 }).toContain('customer_contact.do?sys_id=-1');
      const form = page.frameLocator('#gsft_main');
      await expect.poll(() => form.locator('input#phone').inputValue(), { timeout: 10_000 }).toBe(number);
      await screenshot(page, 'workspace-new-contact-form-en');

      await phone.getByRole('button', { name: 'Answer' }).click();
      await phone.getByRole('button', { name: 'Hang up' }).click();
      await phone.locator('section.call').waitFor({ state: 'detached', timeout: 10_000 });
    } finally {
      call.stop();
    }
    expect(unexpectedProblems(problems, expectedAnswers)).toEqual([]);
  });
});

describe('an agent who never linked a CRM account', () => {
  test('gets no pop and is told why, in words', async () => {
    // Alice steps away so that the call rings at bob.
    await setPresence(phone, false);
    const chrome = await launch();
    try {
      const context = await newContext(chrome, { width: 360, height: 640 });
      const bob = await context.newPage();
      const bobProblems = watch(bob);
      await bob.goto(`${demo.publicUrl}/?lang=en&tenant=demo`);
      await signIn(bob, demo, 'bob.agent');
      await bob.getByText('Your CRM account is not linked.').waitFor();
      await setPresence(bob, true);
      const call = placeCall(demo, 30, '+819012345678');
      try {
        const callId = await ringingCallId(bob);
        const why = bob.getByText('Your CRM account is not linked, so nothing opens and no Case is created.');
        await why.waitFor({ timeout: 10_000 });
        // The caller is shown as a number: no name, no record, no chooser, nothing opened.
        expect(await bob.locator('.contact, .chooser, .new-contact').count()).toBe(0);
        expect(await bob.locator('section.ringing h2').textContent()).toBe('+819012345678');
        await screenshot(bob, 'not-linked-ringing-360-en');
        expect(await seriousViolations(bob)).toEqual([]);
        await bob.getByRole('combobox', { name: 'Language' }).selectOption('ja');
        await bob.getByText('CRM アカウントが連携されていないため、レコードは開かず、ケースも作成されません。').waitFor();
        await screenshot(bob, 'not-linked-ringing-360-ja');
        await bob.getByRole('combobox', { name: '言語' }).selectOption('en');
        await bob.getByRole('button', { name: 'Answer' }).click();
        await bob.locator('section.call').waitFor();
        await why.waitFor();
        await bob.getByRole('button', { name: 'Hang up' }).click();
        await bob.locator('section.call').waitFor({ state: 'detached', timeout: 10_000 });
        // No Case: the only agent on the call had no CRM account.
        await new Promise((r) => setTimeout(r, 2_000));
        expect(await casesOfCall(demo, callId)).toEqual([]);
      } finally {
        call.stop();
      }
      expect(unexpectedProblems(bobProblems, expectedAnswers)).toEqual([]);
      await context.close();
    } finally {
      await chrome.close();
    }
  });
});
