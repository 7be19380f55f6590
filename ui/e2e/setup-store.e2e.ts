// The Setup page for a tenant kept in the store, in Debian's Chromium against a real
// `callbridge demo`: an operator adds the tenant with `callbridge tenant add`, its admin sets the
// CA its instance is trusted by and the service account Callbridge signs in with (the password
// write-only; a failing check's fix shown in Japanese too), reorders and edits the customer
// tables searched for callers (a mistake shown at its row's field), in English and Japanese,
// by keyboard, axe-clean; a recording store that cannot be opened is refused at its field and
// nothing is saved; a custom table made on the instance is picked from the instance's list,
// its phone column ticked before any save, saved, and the Match tester then finds a record in it.
import { request as playwrightRequest, type APIRequestContext, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { launch, newContext, screenshot, seriousViolations, watch, type Problem } from './browser';
import { startDemo, type Demo } from './demo';
import { addStoreTenant, demoClient, signInWhenReady } from './store-tenant';

let demo: Demo;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: Problem[];
/** The sandbox's CA certificate, which the new tenant's connection must trust. */
let caFile: string;

beforeAll(async () => {
  [demo, browser] = await Promise.all([startDemo(), launch()]);
  // The sandbox knows the demo's OAuth client: the new tenant's checks and schema can pass.
  const client = demoClient(demo);
  caFile = client.caFile;
  const password = await addStoreTenant(demo, 'initech', 'ian', client);
  context = await newContext(browser, { width: 1280, height: 900, locale: 'en-US' });
  page = await context.newPage();
  problems = watch(page);
  await signInWhenReady(page, demo, 'initech', 'ian', password, '/api/v1/console/setup');
  await page.goto(`${demo.consoleUrl ?? ''}?tenant=initech#/setup`);
  await page.getByRole('heading', { name: 'Setup', level: 1 }).waitFor();
});

afterAll(async () => {
  await sandboxClient?.dispose();
  await context.close();
  await browser.close();
  await demo.stop();
});

afterEach(async (task) => {
  if (task.task.result?.state === 'fail' && !page.isClosed()) {
    await screenshot(page, `setup-store-failed-${task.task.name.replace(/\W+/g, '-')}`);
  }
});

/** The sandbox admin's credentials, as the demo's banner prints them. */
function sandboxAdmin(): { user: string; password: string } {
  const found = /^\s+admin\s+(\S+) \/ (\S+)/m.exec(demo.output());
  if (!found?.[1] || !found[2]) throw new Error(`no sandbox admin in the banner:\n${demo.output()}`);
  return { user: found[1], password: found[2] };
}

let sandboxClient: APIRequestContext | null = null;

/** A Table API request to the sandbox as its admin, from a client of its own (no page cookies). */
async function sandbox(method: 'GET' | 'POST', path: string, data?: object): Promise<{ result: Record<string, unknown> | Record<string, unknown>[] }> {
  const { user, password } = sandboxAdmin();
  sandboxClient ??= await playwrightRequest.newContext({ ignoreHTTPSErrors: true });
  const response = await sandboxClient.fetch(`${demo.sandboxUrl}${path}`, {
    method,
    headers: { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`, Accept: 'application/json' },
    ...(data ? { data } : {}),
  });
  expect(response.status(), await response.text()).toBeLessThan(300);
  return (await response.json()) as { result: Record<string, unknown> | Record<string, unknown>[] };
}

/** The sys_id of the one row of `table` that `query` finds. */
async function sysIdOf(table: string, query: string): Promise<string> {
  const { result } = await sandbox('GET', `/api/now/table/${table}?sysparm_query=${encodeURIComponent(query)}&sysparm_fields=sys_id`);
  const rows = result as { sys_id: string }[];
  expect(rows.length, `${table}?${query}`).toBe(1);
  return rows[0]?.sys_id ?? '';
}

/** The saved version, as the API says. */
async function version(): Promise<number> {
  const answer = await page.request.get(`${demo.publicUrl}/api/v1/console/setup`);
  return ((await answer.json()) as { version: number }).version;
}

describe('Setup of a tenant kept in the store', () => {
  test('the service account: a password grant saved, its password never shown again', async () => {
    await page.getByTestId('editable').waitFor();
    const form = page.getByTestId('edit-connection');
    // The user and password apply to the password grant only.
    expect(await form.getByRole('textbox', { name: 'Service account user name' }).count()).toBe(0);
    // The sandbox's HTTPS certificate is signed by its own CA.
    await form.getByRole('textbox', { name: 'Extra CA certificate (PEM file)' }).fill(caFile);
    await form.getByRole('combobox', { name: 'How Callbridge signs in for its own calls to the CRM' }).selectOption('password');
    await form.getByRole('textbox', { name: 'Service account user name' }).fill('svc.initech');
    await form.getByLabel('Service account password').fill('initech-service-password');
    await form.getByRole('button', { name: 'Save and check' }).click();
    await form.getByText('Saved as version 2 and in use.').waitFor();
    expect(await form.getByLabel('Service account password').inputValue()).toBe('');
    await page.locator('tr[data-key="service_user"]').getByText('svc.initech').waitFor();
    await page.locator('tr[data-key="service_password"]').getByText('set (not shown)').waitFor();
    await page.locator('tr[data-key="ca_file"]').getByText(caFile).waitFor();
    expect(await page.content()).not.toContain('initech-service-password');
    // The step's checks ran again with the saved settings: the sandbox has no such user.
    await page.locator('[data-check="oauth.service_grant"][data-status="fail"]').waitFor();
    await screenshot(page, 'setup-store-connection-en');
    expect(await seriousViolations(page)).toEqual([]);
    // The same failure in Japanese: the title, what was found and the fix, the names kept.
    await page.getByRole('combobox').first().selectOption('ja');
    const grant = page.locator('[data-check="oauth.service_grant"][data-status="fail"]');
    await grant.locator('[lang="ja"]').getByText('サービス資格情報（svc.initech としてパスワード グラント）でトークンを取得できる').waitFor();
    const fix = grant.getByTestId('check-fix');
    expect(await fix.textContent()).toMatch(/^直し方: .*User Administration > Users: .*svc\.initech.*してください/);
    expect(await fix.locator('[lang="ja"]').count()).toBe(1);
    await screenshot(page, 'setup-store-connection-ja');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('combobox').first().selectOption('en');
    await page.getByRole('heading', { name: 'Setup', level: 1 }).waitFor();

    // Back to the client's own grant: the service account's user and password go with it.
    await form.getByRole('combobox', { name: 'How Callbridge signs in for its own calls to the CRM' }).selectOption('client_credentials');
    await form.getByRole('button', { name: 'Save and check' }).click();
    await form.getByText('Saved as version 3 and in use.').waitFor();
    await page.locator('[data-check="oauth.service_grant"][data-status="pass"]').waitFor();
    expect(await page.locator('tr[data-key="service_user"]').count()).toBe(0);
  });

  test('the customer tables: reordered by keyboard, a mistake at its field, then saved', async () => {
    await page.getByRole('button', { name: 'Next step' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Tables and columns', level: 2 }).waitFor();
    const tables = page.getByTestId('lookup-tables');
    await tables.waitFor();
    const names = () => tables.locator('[data-lookup] > legend').allTextContents();
    // The tables and columns offered are what the instance's dictionary holds.
    await tables.getByText(/^Phone columns of this table in the instance: .*mobile_phone/).first().waitFor();
    const offered = await page.locator('#lookup-table-options option').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('value')));
    expect(offered).toEqual(expect.arrayContaining(['customer_contact', 'csm_consumer']));
    expect(await names()).toEqual(['Customer table 1: customer_contact', 'Customer table 2: csm_consumer']);
    // Consumers first, by keyboard.
    await tables.getByRole('button', { name: 'Move customer table 2 up' }).focus();
    await page.keyboard.press('Enter');
    expect(await names()).toEqual(['Customer table 1: csm_consumer', 'Customer table 2: customer_contact']);

    // No phone column: refused at that row's field, nothing saved.
    const consumers = tables.getByRole('group', { name: 'Customer table 1: csm_consumer' });
    const phones = consumers.getByRole('textbox', { name: 'Phone columns' });
    await phones.fill('');
    await page.getByTestId('edit-tables').getByRole('button', { name: 'Save and check' }).click();
    await page.getByTestId('error-lookup-0-phone_columns').waitFor();
    expect(await phones.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByTestId('error-lookup-0-phone_columns').textContent()).toContain('list at least one phone column');
    expect(await version()).toBe(3);
    await screenshot(page, 'setup-store-tables-error-en');
    expect(await seriousViolations(page)).toEqual([]);

    await phones.fill('mobile_phone, phone');
    await page.getByTestId('edit-tables').getByRole('button', { name: 'Save and check' }).click();
    await page.getByTestId('edit-tables').getByText('Saved as version 4 and in use.').waitFor();
    await page.locator('tr[data-key="lookup.tables[0].table"]').getByText('csm_consumer').waitFor();
    await page.locator('tr[data-key="lookup.tables[0].phone_columns"]').getByText('mobile_phone, phone').waitFor();
    expect(await version()).toBe(4);
    await screenshot(page, 'setup-store-tables-en');
    expect(await seriousViolations(page)).toEqual([]);
  });

  test('the same form in Japanese, axe-clean', async () => {
    await page.getByRole('combobox').first().selectOption('ja');
    await page.getByRole('heading', { name: 'セットアップ', level: 1 }).waitFor();
    await page.getByTestId('lookup-tables').getByText('発信者の番号を検索する顧客テーブル').waitFor();
    await page.getByRole('button', { name: '顧客テーブルを追加' }).waitFor();
    // The status line written in English is written again in Japanese.
    expect(await page.getByTestId('edit-tables').getByTestId('save-status').textContent()).toBe('バージョン 4 として保存し、使用を開始しました。');
    // The checks in Japanese: the title and what was found, the instance's own label kept.
    const caseTable = page.locator('[data-check="table.case"]');
    await caseTable.locator('[lang="ja"]').getByText('ケース テーブル sn_customerservice_case').waitFor();
    expect(await caseTable.locator('[lang="ja"]').nth(1).textContent()).toMatch(/^"Case"、task を拡張、列 \d+ 個$/);
    expect(await caseTable.locator('[lang="en"]').count()).toBe(0);
    await screenshot(page, 'setup-store-tables-ja');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('combobox').first().selectOption('en');
    await page.getByRole('heading', { name: 'Setup', level: 1 }).waitFor();
  });

  test('a recording store that cannot be opened is refused at its field; nothing is saved', async () => {
    await page.getByRole('button', { name: 'Next step' }).click();
    await page.getByRole('heading', { name: 'Agents’ roles', level: 2 }).waitFor();
    await page.getByRole('button', { name: 'Next step' }).click();
    await page.getByRole('heading', { name: 'Recording store', level: 2 }).waitFor();
    const form = page.getByTestId('edit-recordings');
    await form.getByRole('combobox', { name: 'Store' }).selectOption('local');
    // A directory below a device can never be made.
    await form.getByRole('textbox', { name: 'Directory' }).fill('/dev/null/recordings');
    await form.getByRole('button', { name: 'Save and check' }).click();
    const error = page.getByTestId('error-path');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/^the recording store cannot be opened: .+\. Fix: make \[tenant\.telephony\.recordings\]\.path a directory the service user can write$/);
    expect(await form.getByRole('textbox', { name: 'Directory' }).getAttribute('aria-invalid')).toBe('true');
    expect(await version()).toBe(4);
    expect(await seriousViolations(page)).toEqual([]);
    // The refused saves and the signed-out page's session check are the only failed requests.
    const expected = [/status of 400 .*\/api\/v1\/console\/setup\/steps\/(tables|recordings)$/, /status of 401 .*\/api\/v1\/session$/];
    expect(problems.filter((p) => !expected.some((e) => e.test(`${p.text} ${p.url}`)))).toEqual([]);
  });

  test('a custom table of the instance: picked, its phone column ticked before any save, saved, and a record in it found', async () => {
    // The instance's admin makes a table of VIPs with a phone number column and one record, and
    // gives the integration's service account the role the new table's ACLs ask for.
    await sandbox('POST', '/api/now/table/sys_db_object', { name: 'u_vip_customer', label: 'VIP customer' });
    await sandbox('POST', '/api/now/table/sys_dictionary', { name: 'u_vip_customer', element: 'u_full_name', internal_type: 'string', max_length: '80', column_label: 'Full name' });
    await sandbox('POST', '/api/now/table/sys_dictionary', { name: 'u_vip_customer', element: 'u_direct_line', internal_type: 'ph_number', max_length: '40', column_label: 'Direct line' });
    await sandbox('POST', '/api/now/table/u_vip_customer', { u_full_name: 'Vera Important', u_direct_line: '+81 3-5555-0199' });
    const { result } = await sandbox('GET', `/api/now/table/oauth_entity?sysparm_query=${encodeURIComponent(`client_id=${demoClient(demo).id}`)}&sysparm_fields=user`);
    const service = ((result as { user: { value: string } }[])[0]?.user.value) ?? '';
    const role = await sysIdOf('sys_user_role', 'name=u_vip_customer_user');
    await sandbox('POST', '/api/now/table/sys_user_has_role', { user: service, role });

    await page.getByRole('navigation', { name: 'Setup steps' }).getByRole('button', { name: '2. Tables and columns' }).click();
    await page.getByRole('heading', { name: 'Tables and columns', level: 2 }).waitFor();
    const tables = page.getByTestId('lookup-tables');
    // The instance's list, read when the step opened, holds the new table.
    await tables.getByTestId('table-choices').waitFor();
    const offered = await page.locator('#lookup-table-options option').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('value')));
    expect(offered).toContain('u_vip_customer');
    await tables.getByRole('button', { name: 'Add a customer table' }).click();
    const row = tables.getByRole('group', { name: 'Customer table 3: new' });
    // The table field offers the instance's tables (an input with a list is a combobox).
    await row.getByRole('combobox', { name: 'Table' }).fill('u_vip_customer');
    const vip = tables.getByRole('group', { name: 'Customer table 3: u_vip_customer' });
    // Its columns, read from the instance now, before any save.
    const phones = vip.getByRole('group', { name: /^Phone columns of u_vip_customer to search/ });
    await phones.getByRole('checkbox', { name: 'u_direct_line (Direct line)' }).check();
    expect(await vip.getByRole('textbox', { name: 'Phone columns' }).inputValue()).toBe('u_direct_line');
    const columns = await vip.locator('datalist option').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('value')));
    expect(columns).toEqual(expect.arrayContaining(['u_full_name', 'u_direct_line', 'sys_id']));
    await vip.getByRole('combobox', { name: 'Name column (empty: name)' }).fill('u_full_name');
    await vip.getByRole('combobox', { name: 'Its records are' }).selectOption('consumer');
    await screenshot(page, 'setup-store-custom-table-en');
    expect(await seriousViolations(page)).toEqual([]);
    // The last-digits rule, a number out of its range refused at its field; then 8.
    const suffix = page.getByTestId('edit-tables').getByRole('textbox', { name: 'Match on the last digits (7 to 10)' });
    await suffix.fill('6');
    await page.getByTestId('edit-tables').getByRole('button', { name: 'Save and check' }).click();
    await page.getByTestId('error-suffix_digits').waitFor();
    expect(await page.getByTestId('error-suffix_digits').textContent()).toBe('6 is out of range. Fix: write 7 to 10, or omit it');
    expect(await suffix.getAttribute('aria-invalid')).toBe('true');
    expect(await version()).toBe(4);
    await suffix.fill('8');
    await page.getByTestId('edit-tables').getByRole('button', { name: 'Save and check' }).click();
    await page.getByTestId('edit-tables').getByText('Saved as version 5 and in use.').waitFor();
    await page.locator('tr[data-key="lookup.suffix_digits"]').getByText('8').waitFor();
    await page.locator('tr[data-key="lookup.tables[2].table"]').getByText('u_vip_customer').waitFor();
    await page.locator('tr[data-key="lookup.tables[2].phone_columns"]').getByText('u_direct_line').waitFor();

    // The Match tester searches it as a caller's number would be.
    await page.getByRole('navigation').getByRole('link', { name: 'Match tester' }).click();
    await page.getByRole('heading', { name: 'Match tester', level: 1 }).waitFor();
    await page.getByRole('textbox', { name: 'Phone number' }).fill('03-5555-0199');
    await page.keyboard.press('Enter');
    // Named by the table's own name column.
    await page.getByRole('rowheader', { name: 'Vera Important' }).waitFor();
    expect(await page.locator('.verdict').getAttribute('data-outcome')).toBe('contact');
    await screenshot(page, 'setup-store-custom-table-match-en');
    expect(await seriousViolations(page)).toEqual([]);
  });
});
