// "Numbers & queues" for a tenant kept in the store, in Debian's Chromium against a real
// `callbridge demo`: an operator adds the tenant with `callbridge tenant add` (the running demo
// takes it in), its admin signs in to the console and sets up its telephony from nothing: a
// mistake is shown at its field, then the numbers, a queue and an agent are saved and applied;
// the agent added there gets an account from the page's link to People, and their open softphone
// shows a queue added for them without a reload.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launch, newContext, screenshot, seriousViolations, watch, type Problem } from './browser';
import { startDemo, type Demo } from './demo';
import { addStoreTenant, signInWhenReady } from './store-tenant';

let demo: Demo;
let browser: import('playwright-core').Browser;
let context: BrowserContext;
let page: Page;
let problems: Problem[];

beforeAll(async () => {
  [demo, browser] = await Promise.all([startDemo(), launch()]);
  const password = await addStoreTenant(demo, 'globex', 'gail');
  context = await newContext(browser, { width: 1280, height: 900, locale: 'en-US' });
  page = await context.newPage();
  problems = watch(page);
  await signInWhenReady(page, demo, 'globex', 'gail', password, '/api/v1/console/telephony');
  await page.goto(`${demo.consoleUrl ?? ''}?tenant=globex#/numbers-queues`);
  await page.getByRole('heading', { name: 'Numbers & queues', level: 1 }).waitFor();
});

afterAll(async () => {
  await context.close();
  await browser.close();
  await demo.stop();
});

describe('a tenant kept in the store', () => {
  test('sets up its numbers, queue and agent from nothing; a mistake is shown at its field', async () => {
    expect(await page.getByTestId('source').textContent()).toBe('Version 1. Saving applies the change at once.');
    await page.getByRole('textbox', { name: 'Carriers allowed to send calls' }).fill('127.0.0.1, carrier.example');
    await page.getByRole('button', { name: 'Add a queue' }).click();
    const queue = page.getByRole('group', { name: 'Queue queue-1' });
    await queue.getByRole('textbox', { name: 'Queue id' }).fill('front');
    const front = page.getByRole('group', { name: 'Queue front' });
    await front.getByRole('combobox', { name: /^When nobody is logged in/ }).selectOption('hang_up');
    await page.getByRole('button', { name: 'Add a number' }).click();
    await page.getByRole('textbox', { name: 'Number' }).fill('+81312345900');
    await page.getByRole('button', { name: 'Add an agent' }).click();
    await page.getByRole('textbox', { name: 'Agent' }).fill('gina');
    await page.getByRole('checkbox', { name: 'gina answers front' }).check();
    await page.getByRole('button', { name: 'Save and apply' }).click();

    // The carrier address that is no address: at its field, and in the list, nothing saved.
    const sources = page.getByRole('textbox', { name: 'Carriers allowed to send calls' });
    await page.getByTestId('save-error').waitFor();
    expect(await sources.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#err-sources').textContent()).toMatch(/carrier\.example/);
    expect(await page.getByRole('heading', { name: 'Fix these and save again' }).count()).toBe(1);
    await screenshot(page, 'console-numbers-queues-store-error-en');
    expect(await seriousViolations(page)).toEqual([]);

    await sources.fill('127.0.0.1');
    await page.getByRole('button', { name: 'Save and apply' }).click();
    await page.getByText('Saved as version 2 and applied.').waitFor();
    // The page loads the saved settings again: the version moves on.
    await page.getByTestId('source').getByText('Version 2. Saving applies the change at once.').waitFor();
    expect(await page.getByRole('textbox', { name: 'Number' }).inputValue()).toBe('+81312345900');
    expect(await page.getByRole('group', { name: 'Queue front' }).getByRole('combobox', { name: /^When nobody is logged in/ }).inputValue()).toBe('hang_up');
    await screenshot(page, 'console-numbers-queues-store-en');
    expect(await seriousViolations(page)).toEqual([]);

    // Saved in the store and applied: the API says so too.
    const view = await page.request.get(`${demo.publicUrl}/api/v1/console/telephony`);
    const body = await view.json() as { telephony: { numbers: { did: string; queue: string }[]; agents: { name: string; queues: string[] }[] } };
    expect(body.telephony.numbers).toEqual([{ did: '+81312345900', queue: 'front' }]);
    expect(body.telephony.agents).toEqual([{ name: 'gina', queues: ['front'] }]);
    // The refused save is the only failed request (and the signed-out page's session check).
    const expected = [/status of 400 .*\/api\/v1\/console\/telephony$/, /status of 401 .*\/api\/v1\/session$/];
    expect(problems.filter((p) => !expected.some((e) => e.test(`${p.text} ${p.url}`)))).toEqual([]);
  });

  test("the agent gets an account from the page, and their open softphone shows the new queues the admin saves", async () => {
    // Gina, added on the page, has no account yet: the page says so and links to People's create
    // form, filled in with her name.
    const noAccount = page.getByRole('link', { name: 'gina has no account to sign in with: create it on People' });
    await noAccount.waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await noAccount.click();
    await page.getByRole('heading', { name: 'Add an account', level: 2 }).waitFor();
    const userName = page.getByRole('textbox', { name: 'User name' });
    expect(await userName.inputValue()).toBe('gina');
    await page.getByRole('button', { name: 'Create account' }).click();
    const password = (await page.getByTestId('one-time-password').textContent({ timeout: 10_000 })) ?? '';
    expect(password).not.toBe('');
    await page.goto(`${demo.consoleUrl ?? ''}?tenant=globex#/numbers-queues`);
    await page.getByRole('heading', { name: 'Numbers & queues', level: 1 }).waitFor();
    await page.getByRole('group', { name: 'Queue front' }).waitFor();
    expect(await page.getByTestId('no-account').count()).toBe(0);

    const agentContext = await newContext(browser, { width: 1024, height: 800, locale: 'en-US' });
    const phone = await agentContext.newPage();
    const phoneProblems = watch(phone);
    await phone.goto(`${demo.publicUrl}/?tenant=globex`);
    await phone.getByRole('textbox', { name: 'User name' }).fill('gina');
    await phone.getByLabel('Password').fill(password);
    await phone.getByRole('button', { name: 'Sign in' }).click();
    const queues = phone.getByTestId('agent-queues');
    await queues.getByText('Your queues: front', { exact: true }).waitFor({ timeout: 15_000 });

    // The admin puts gina in a second queue: the open softphone is told, without a reload.
    await page.getByRole('button', { name: 'Add a queue' }).click();
    await page.getByRole('group', { name: 'Queue queue-2' }).getByRole('textbox', { name: 'Queue id' }).fill('back');
    await page.getByRole('checkbox', { name: 'gina answers back' }).check();
    await page.getByRole('button', { name: 'Save and apply' }).click();
    await page.getByText('Saved as version 3 and applied.').waitFor();
    await expect.poll(() => queues.textContent(), { timeout: 5_000 }).toMatch(/^Your queues: (front, back|back, front)$/);
    expect(phoneProblems.filter((p) => !/status of 401 .*\/api\/v1\/session$/.test(`${p.text} ${p.url}`))).toEqual([]);
    await agentContext.close();
  });
});
