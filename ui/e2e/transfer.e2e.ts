// Blind transfers between two agents, each in a browser profile of their own, against a real
// `callbridge demo`: the transfer rule (the first answerer has no CRM link: no Case, even once a
// linked agent has the call, and both pages say why in words), then a transfer between two linked
// agents, where the second sees the contact and the same Case.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { casesOfCall, expectedAnswers, linkCrm, ringingCallId, setPresence, signIn, unexpectedProblems } from './agents';
import { launch, newContext, screenshot, seriousViolations, watch, type Problem } from './browser';
import { placeCall, startDemo, type Demo } from './demo';

let demo: Demo;
let browser: Browser;
const agents: Record<'alice' | 'bob', { context: BrowserContext; page: Page; problems: Problem[] }> = {} as never;

beforeAll(async () => {
  [demo, browser] = await Promise.all([startDemo(), launch()]);
});

afterAll(async () => {
  await browser.close();
  await demo.stop();
});

afterEach(async (context) => {
  if (context.task.result?.state !== 'fail') return;
  for (const [name, agent] of Object.entries(agents)) {
    if (!agent.page.isClosed()) await screenshot(agent.page, `failed-${context.task.name.replace(/\W+/g, '-')}-${name}`);
  }
});

const openFrame = { width: 360, height: 640 };
const suppressed = 'No Case was created automatically: the agent who answered first has no linked CRM account.';
const suppressedJa = '最初に応答したエージェントが CRM アカウントを連携していないため、ケースは自動作成されませんでした。';

/** Sends the call on the page to a colleague, picked from the list as a person would. */
async function transferTo(page: Page, displayName: string, agent: string): Promise<void> {
  await page.locator('details.transfer summary').click();
  const colleague = page.getByRole('button', { name: new RegExp(`${displayName}.*available`) });
  // The colleague list is refreshed every 15 s: wait for the colleague to show as available.
  await colleague.waitFor({ timeout: 20_000 });
  await colleague.click();
  await page.getByRole('button', { name: `Transfer to ${agent}` }).click();
}

async function hangUp(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Hang up' }).click();
  await page.locator('section.call').waitFor({ state: 'detached', timeout: 10_000 });
}

describe('blind transfer', () => {
  test('alice (linked) and bob (not linked yet) sign in in their own browsers', async () => {
    for (const name of ['alice', 'bob'] as const) {
      const context = await newContext(browser, openFrame);
      const page = await context.newPage();
      agents[name] = { context, page, problems: watch(page) };
      await page.goto(`${demo.publicUrl}/?lang=en&tenant=demo`);
      await signIn(page, demo, `${name}.agent`);
    }
    await linkCrm(agents.alice.page, agents.alice.page, demo, 'alice.agent');
  });

  test('the first answerer has no CRM link: no Case, even after the transfer to a linked agent, and both are told why', async () => {
    const { alice, bob } = agents;
    await setPresence(bob.page, true);
    const call = placeCall(demo, 60, '+819012345678');
    try {
      const callId = await ringingCallId(bob.page);
      await bob.page.getByRole('button', { name: 'Answer' }).click();
      await bob.page.getByText(suppressed).waitFor({ timeout: 10_000 });
      // Alice becomes available; bob hands the customer to her.
      await setPresence(alice.page, true);
      await transferTo(bob.page, 'Alice Agent', 'alice.agent');
      await bob.page.locator('section.call').waitFor({ state: 'detached', timeout: 10_000 });

      expect(await ringingCallId(alice.page)).toBe(callId);
      await alice.page.getByText('Transferred by bob.agent').waitFor();
      // Alice is linked: the contact pops for her; the Case still does not come.
      await alice.page.locator('.contact .card-title', { hasText: 'Haruto Tanaka' }).waitFor({ timeout: 10_000 });
      await alice.page.getByRole('button', { name: 'Answer' }).click();
      await alice.page.getByText(suppressed).waitFor({ timeout: 10_000 });
      // A linked agent may still ask for the Case by hand.
      await alice.page.getByRole('button', { name: 'Create Case' }).waitFor();
      expect(await alice.page.locator('.badge', { hasText: /Case CS/ }).count()).toBe(0);
      await screenshot(alice.page, 'transfer-rule-on-call-360-en');
      expect(await seriousViolations(alice.page)).toEqual([]);
      await alice.page.getByRole('combobox', { name: 'Language' }).selectOption('ja');
      await alice.page.getByText(suppressedJa).waitFor();
      await screenshot(alice.page, 'transfer-rule-on-call-360-ja');
      await alice.page.getByRole('combobox', { name: '言語' }).selectOption('en');
      await hangUp(alice.page);
      await new Promise((r) => setTimeout(r, 2_000));
      expect(await casesOfCall(demo, callId)).toEqual([]);
    } finally {
      call.stop();
    }
    for (const agent of [alice, bob]) expect(unexpectedProblems(agent.problems, expectedAnswers)).toEqual([]);
  });

  test('between two linked agents, the second sees the contact and the same Case', async () => {
    const { alice, bob } = agents;
    await linkCrm(bob.page, bob.page, demo, 'bob.agent');
    await setPresence(bob.page, false);
    await setPresence(alice.page, true);
    const call = placeCall(demo, 60, '+819012345678');
    try {
      const callId = await ringingCallId(alice.page);
      await alice.page.getByRole('button', { name: 'Answer' }).click();
      const aliceBadge = alice.page.locator('.badge', { hasText: /Case CS\d+/ });
      await aliceBadge.waitFor({ timeout: 20_000 });
      const label = (await aliceBadge.textContent()) ?? '';

      await setPresence(bob.page, true);
      await transferTo(alice.page, 'Bob Agent', 'bob.agent');
      expect(await ringingCallId(bob.page)).toBe(callId);
      await bob.page.getByText('Transferred by alice.agent').waitFor();
      await bob.page.locator('.contact .card-title', { hasText: 'Haruto Tanaka' }).waitFor({ timeout: 10_000 });
      await screenshot(bob.page, 'transfer-ringing-360-en');
      await bob.page.getByRole('button', { name: 'Answer' }).click();
      await bob.page.locator('.badge', { hasText: label }).waitFor({ timeout: 10_000 });
      await screenshot(bob.page, 'transfer-on-call-360-en');
      await bob.page.getByRole('combobox', { name: 'Language' }).selectOption('ja');
      await screenshot(bob.page, 'transfer-on-call-360-ja');
      await bob.page.getByRole('combobox', { name: '言語' }).selectOption('en');
      expect(await seriousViolations(bob.page)).toEqual([]);
      await hangUp(bob.page);

      const cases = await casesOfCall(demo, callId);
      expect(cases.map((c) => `Case ${String(c.number)}`)).toEqual([label]);
    } finally {
      call.stop();
    }
    for (const agent of [alice, bob]) expect(unexpectedProblems(agent.problems, expectedAnswers)).toEqual([]);
  });
});
