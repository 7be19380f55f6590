// The console's Setup page in Debian's Chromium against a real `callbridge demo`: an admin walks
// the four steps of the demo tenant (set in the demo's configuration file, so read-only), each
// checked live by the tenant's doctor, in English and Japanese, by keyboard, axe-clean.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { launch, newContext, screenshot, seriousViolations, watch, type Problem } from './browser';
import { startDemo, type Demo } from './demo';

let demo: Demo;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: Problem[];

beforeAll(async () => {
  [demo, browser] = await Promise.all([startDemo(), launch()]);
});

afterAll(async () => {
  await context.close();
  await browser.close();
  await demo.stop();
});

afterEach(async (task) => {
  if (task.task.result?.state === 'fail' && !page.isClosed()) {
    await screenshot(page, `setup-failed-${task.task.name.replace(/\W+/g, '-')}`);
  }
});

/** Signed out, the page asks `GET /api/v1/session` and is told 401, which Chromium logs. */
const signedOutAnswer = /Failed to load resource: the server responded with a status of 401 .*\/api\/v1\/session$/;

function unexpected(seen: Problem[]): Problem[] {
  return seen.filter((p) => !signedOutAnswer.test(`${p.text} ${p.url}`));
}

/** The checks of the open step, once they have run: `[id, status]` pairs. */
async function checksOf(): Promise<[string, string][]> {
  await page.getByTestId('checks-summary').waitFor();
  const items = page.locator('[data-check]');
  const ids = await items.evaluateAll((nodes) => nodes.map((n) => [n.getAttribute('data-check') ?? '', n.getAttribute('data-status') ?? ''] as [string, string]));
  return ids;
}

describe('Setup', () => {
  test('ada.admin walks the demo tenant\'s steps: read-only, checked live, in English', async () => {
    context = await newContext(browser, { width: 1280, height: 900, locale: 'en-US' });
    page = await context.newPage();
    problems = watch(page);
    await page.goto(`${demo.consoleUrl ?? ''}?tenant=demo`);
    await page.getByRole('textbox', { name: 'User name' }).fill('ada.admin');
    await page.getByLabel('Password').fill(demo.passwords.get('ada.admin') ?? '');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Console pages' }).getByRole('link', { name: 'Setup' }).click();
    await page.getByRole('heading', { name: 'Setup', level: 1 }).waitFor();
    const readOnly = await page.getByTestId('read-only').textContent();
    expect(readOnly).toMatch(/^This tenant is set in .*callbridge\.toml; change it there and restart\./);

    // Step 1: the connection, the secret only as set, the redirect URL to register.
    await page.getByRole('heading', { name: 'CRM connection', level: 2 }).waitFor();
    await page.locator('tr[data-key="instance_url"]').getByText(demo.sandboxUrl).waitFor();
    await page.locator('tr[data-key="client_secret"]').getByText('set (not shown)').waitFor();
    expect(await page.getByTestId('redirect-url').textContent()).toBe(`${demo.publicUrl}/api/v1/crm/oauth/callback`);
    await page.getByText('System OAuth > Application Registry', { exact: false }).first().waitFor();
    const connection = await checksOf();
    expect(connection).toContainEqual(['instance.reachable', 'pass']);
    expect(connection).toContainEqual(['oauth.service_grant', 'pass']);
    expect(connection.filter(([, status]) => status === 'fail')).toEqual([]);
    await screenshot(page, 'setup-connection-en');
    expect(await seriousViolations(page)).toEqual([]);

    // Step 2, by keyboard: the tables, then what the instance's dictionary holds.
    await page.getByRole('button', { name: 'Next step' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Tables and columns', level: 2 }).waitFor();
    // The step's heading takes the focus.
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Tables and columns');
    await page.locator('tr[data-key="case.recording_url_column"]').getByText('u_recording_url').waitFor();
    const tables = await checksOf();
    expect(tables).toContainEqual(['column.case.recording_url', 'pass']);
    expect(tables).toContainEqual(['access.create_case', 'skipped']);
    expect(tables.filter(([, status]) => status === 'fail')).toEqual([]);
    await page.getByTestId('recording-column-state').getByText('The recording-link column u_recording_url exists on the Case table.').waitFor();
    expect(await page.getByTestId('recording-columns').textContent()).toContain('u_recording_url');
    await page.locator('details[data-table="sn_customerservice_case"] summary').click();
    await page.locator('details[data-table="sn_customerservice_case"]').getByRole('rowheader', { name: 'correlation_id' }).waitFor();
    await screenshot(page, 'setup-tables-en');
    expect(await seriousViolations(page)).toEqual([]);

    // Step 3: the roles agents need.
    await page.getByRole('button', { name: 'Next step' }).click();
    await page.getByRole('heading', { name: 'Agents’ roles', level: 2 }).waitFor();
    await page.locator('tr[data-table="sn_customerservice_case"]').getByText('sn_customerservice_agent').waitFor();
    const roles = await checksOf();
    expect(roles.map(([id]) => id)).toContain('agents.linked');
    expect(await seriousViolations(page)).toEqual([]);

    // Step 4: the demo records to local disk.
    await page.getByRole('button', { name: 'Next step' }).click();
    await page.getByRole('heading', { name: 'Recording store', level: 2 }).waitFor();
    expect(await page.getByTestId('store').textContent()).toMatch(/^On this server’s disk, in .*recordings\.$/);
    const store = await checksOf();
    expect(store).toContainEqual(['telephony.recordings.store', 'pass']);
    expect(await page.getByRole('button', { name: 'Next step' }).count()).toBe(0);
    await screenshot(page, 'setup-recordings-en');
    expect(await seriousViolations(page)).toEqual([]);
    expect(unexpected(problems)).toEqual([]);
  });

  test('the same steps in Japanese, axe-clean', async () => {
    problems.length = 0;
    await page.getByRole('combobox').first().selectOption('ja');
    await page.getByRole('heading', { name: 'セットアップ', level: 1 }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('ja');
    expect(await page.getByTestId('read-only').textContent()).toMatch(/^このテナントは .*callbridge\.toml で設定されています。変更はそのファイルで行い、再起動してください。/);
    for (const [n, title] of [[1, 'CRM 接続'], [2, 'テーブルと列'], [3, 'エージェントのロール'], [4, '録音の保存先']] as const) {
      await page.getByRole('navigation', { name: 'セットアップの手順' }).getByRole('button', { name: `${String(n)}. ${title}` }).click();
      await page.getByRole('heading', { name: title, level: 2 }).waitFor();
      await page.getByTestId('checks-summary').waitFor();
      expect(await page.getByTestId('checks-summary').textContent()).toMatch(/^成功 \d+ 件、警告 \d+ 件、失敗 0 件、スキップ \d+ 件$/);
      // Every check reads in Japanese: its title, what was found and any fix, marked so.
      const checks = page.locator('[data-check]');
      expect(await checks.count()).toBeGreaterThan(0);
      expect(await checks.locator('[lang="en"]').count()).toBe(0);
      expect(await checks.locator('[lang="ja"]').count()).toBeGreaterThanOrEqual(2 * (await checks.count()));
      await screenshot(page, `setup-step-${String(n)}-ja`);
      expect(await seriousViolations(page)).toEqual([]);
    }
    await page.getByRole('combobox').first().selectOption('en');
    expect(problems).toEqual([]);
  });
});
