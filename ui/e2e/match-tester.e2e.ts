// The console's Match tester (`/console#/match-tester`) in Debian's Chromium against a real
// `callbridge demo` and its ServiceNow sandbox: a number two contacts hold (the chooser), in both
// languages with axe; a record whose name is HTML shown as text; a garbage number refused.
import { request, type BrowserContext, type Dialog, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launch, newContext, screenshot, seriousViolations, watch, type Problem } from './browser';
import { startDemo, type Demo } from './demo';

let demo: Demo;
let browser: import('playwright-core').Browser;
let context: BrowserContext;
let page: Page;
let problems: Problem[];
const dialogs: string[] = [];

/** Creates a contact in the sandbox as a CRM user would (Table API, Basic authentication). */
async function createContact(fields: Record<string, string>): Promise<void> {
  const api = await request.newContext({ ignoreHTTPSErrors: true });
  try {
    const basic = Buffer.from(`bob.agent:${demo.crmPasswords.get('bob.agent') ?? ''}`).toString('base64');
    const response = await api.post(`${demo.sandboxUrl}/api/now/table/customer_contact`, {
      headers: { Authorization: `Basic ${basic}`, Accept: 'application/json' },
      data: fields,
    });
    expect(response.status(), await response.text()).toBe(201);
  } finally {
    await api.dispose();
  }
}

beforeAll(async () => {
  [demo, browser] = await Promise.all([startDemo(), launch()]);
  context = await newContext(browser, { width: 1280, height: 800, locale: 'en-US' });
  page = await context.newPage();
  problems = watch(page);
  page.on('dialog', (dialog: Dialog) => { dialogs.push(dialog.message()); void dialog.dismiss(); });
  await page.goto(`${demo.consoleUrl ?? ''}?tenant=demo`);
  await page.getByRole('textbox', { name: 'User name' }).fill('ada.admin');
  await page.getByLabel('Password').fill(demo.passwords.get('ada.admin') ?? '');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
});

afterAll(async () => {
  await context.close();
  await browser.close();
  await demo.stop();
});

describe('the match tester', () => {
  test('a number two contacts hold: both records, the stored values, the rule, and the chooser in words', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Match tester' }).click();
    await page.getByRole('heading', { name: 'Match tester', level: 1 }).waitFor();
    await page.getByRole('textbox', { name: 'Phone number' }).fill('03-1234-5678');
    await page.keyboard.press('Enter');
    const verdict = page.locator('.verdict');
    await verdict.waitFor();
    expect(await verdict.getAttribute('data-outcome')).toBe('chooser');
    expect(await verdict.textContent()).toMatch(/^Ambiguous: 2 records hold this number \((Haruto Tanaka, Yui Sato|Yui Sato, Haruto Tanaka)\), so the agent gets a chooser/);
    expect(await page.getByTestId('e164').textContent()).toBe('+81312345678');
    await page.getByText('03-1234-5678', { exact: true }).first().waitFor();
    const haruto = page.locator('tr', { has: page.getByRole('rowheader', { name: 'Haruto Tanaka' }) });
    expect(await haruto.locator('td').nth(1).textContent()).toBe('Sakura Trading KK');
    expect(await haruto.locator('td').nth(3).textContent()).toBe('03-1234-5678');
    expect(await haruto.locator('.badge').textContent()).toBe('The same number in another format');
    // His mobile is listed as not this number.
    await page.locator('tr', { hasText: '090-1234-5678' }).getByText('Not this number').waitFor();
    await screenshot(page, 'console-match-tester-en');
    expect(await seriousViolations(page)).toEqual([]);

    // The language switch rewords what is already on the page, the verdict and status included.
    await page.getByRole('combobox').first().selectOption('ja');
    await page.getByRole('heading', { name: '照合テスト', level: 1 }).waitFor();
    expect(await page.locator('.verdict').textContent()).toMatch(/^あいまいです。この番号を持つレコードが 2 件/);
    expect(await page.getByTestId('match-status').textContent()).toMatch(/^あいまいです/);
    await screenshot(page, 'console-match-tester-ja');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('combobox').first().selectOption('en');
    await page.getByRole('heading', { name: 'Match tester', level: 1 }).waitFor();
  });

  test('a name written in HTML is shown as text, and a garbage number is refused with what to type', async () => {
    const html = '<img src=x onerror=alert(1)>';
    await createContact({ first_name: 'Html', last_name: 'Name', name: html, phone: '+81 3-5555-0101' });
    await page.getByRole('textbox', { name: 'Phone number' }).fill('0355550101');
    await page.getByRole('button', { name: 'Test' }).click();
    await page.getByRole('rowheader', { name: html }).waitFor();
    expect(await page.locator('.verdict').getAttribute('data-outcome')).toBe('contact');
    expect(await page.locator('img[src="x"]').count()).toBe(0);

    await page.getByRole('textbox', { name: 'Phone number' }).fill('<script>alert(1)</script>');
    await page.getByRole('button', { name: 'Test' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^The number could not be tested: this is not a phone number a caller could have \(.+\); type digits/);
    expect(await page.locator('.verdict').count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);
    // The refusals, and the signed-out page's first session check, are the only failed requests.
    const expected = [/status of 400 .*\/api\/v1\/console\/match\?/, /status of 401 .*\/api\/v1\/session$/];
    expect(problems.filter((p) => !expected.some((e) => e.test(`${p.text} ${p.url}`)))).toEqual([]);
  });
});
