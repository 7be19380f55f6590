// The console (`/console`) served by the binary, in Debian's Chromium, against a real
// `callbridge demo`: who gets in (admins and supervisors; an agent is told why not), both
// languages, the keyboard, accessibility, and an admin's work on each page.
import { createHmac } from 'node:crypto';
import { request as playwrightRequest, type APIRequestContext, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { launch, newContext, screenshot, seriousViolations, watch, type Problem } from './browser';
import { startDemo, type Demo } from './demo';

let demo: Demo;
let browser: Browser;
let consoleUrl: string;

beforeAll(async () => {
  [demo, browser] = await Promise.all([startDemo(), launch()]);
  consoleUrl = demo.consoleUrl ?? '';
});

afterAll(async () => {
  await browser.close();
  await demo.stop();
});

const desktop = { width: 1280, height: 800 };

/** Signed out, the page asks `GET /api/v1/session` and is told 401, which Chromium logs. */
const signedOutAnswer = /Failed to load resource: the server responded with a status of 401 .*\/api\/v1\/session$/;

function unexpected(problems: Problem[], allowed: RegExp[] = []): Problem[] {
  return problems.filter((p) => !allowed.some((a) => a.test(`${p.text} ${p.url}`)));
}

/** Signs `user` in to the console in a fresh browser profile, in `lang`. */
async function signIn(user: string, lang: 'en' | 'ja' = 'en'): Promise<{ context: BrowserContext; page: Page; problems: Problem[] }> {
  const context = await newContext(browser, { ...desktop, locale: lang === 'ja' ? 'ja-JP' : 'en-US' });
  const page = await context.newPage();
  const problems = watch(page);
  await page.goto(`${consoleUrl}?tenant=demo`);
  const m = lang === 'ja' ? { user: 'ユーザー名', password: 'パスワード', signIn: 'サインイン' } : { user: 'User name', password: 'Password', signIn: 'Sign in' };
  await page.getByRole('textbox', { name: m.user }).fill(user);
  await page.getByLabel(m.password).fill(demo.passwords.get(user) ?? '');
  await page.getByRole('button', { name: m.signIn }).click();
  return { context, page, problems };
}

describe('the console page', () => {
  test('the banner names it, and it is served with the strict policy no CRM may frame', async () => {
    expect(consoleUrl).toBe(`${demo.publicUrl}/console`);
    expect(demo.output()).toContain(`console           ${consoleUrl}  (admins and supervisors: ada.admin, sam.supervisor)`);
    const response = await fetch(`${consoleUrl}?tenant=demo`);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'self';");
    expect(csp).toContain("script-src 'self';");
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(await response.text()).toContain('<title>Callbridge console</title>');
  });

  for (const [lang, title] of [['en', 'Sign in'], ['ja', 'サインイン']] as const) {
    test(`signed out, it asks to sign in (${lang}), axe-clean`, async () => {
      const context = await newContext(browser, { ...desktop, locale: lang === 'ja' ? 'ja-JP' : 'en-US' });
      const page = await context.newPage();
      const problems = watch(page);
      await page.goto(consoleUrl);
      await page.getByRole('heading', { name: title }).waitFor();
      expect(await page.getAttribute('html', 'lang')).toBe(lang);
      await screenshot(page, `console-sign-in-${lang}`);
      expect(await seriousViolations(page)).toEqual([]);
      expect(unexpected(problems, [signedOutAnswer])).toEqual([]);
      await context.close();
    });
  }
});

describe('who gets in', () => {
  test('an agent is told the console is for supervisors and admins', async () => {
    const { context, page, problems } = await signIn('alice.agent');
    await page.getByRole('heading', { name: 'The console is for supervisors and admins' }).waitFor();
    await page.getByText('You are signed in as alice.agent, an agent account.').waitFor();
    expect(await page.getByRole('navigation').count()).toBe(0);
    await screenshot(page, 'console-agent-refused-en');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('combobox').selectOption('ja');
    await page.getByRole('heading', { name: 'コンソールはスーパーバイザーと管理者のためのものです' }).waitFor();
    await screenshot(page, 'console-agent-refused-ja');
    expect(unexpected(problems, [signedOutAnswer])).toEqual([]);
    await context.close();
  });

  test('a supervisor gets in and sees only the supervisor pages', async () => {
    const { context, page, problems } = await signIn('sam.supervisor');
    const nav = page.getByRole('navigation', { name: 'Console pages' });
    await nav.waitFor();
    await page.getByText('sam.supervisor · supervisor · demo').waitFor();
    const links = await nav.getByRole('link').allTextContents();
    expect(links).toContain('Overview');
    for (const adminPage of ['People', 'Outbox', 'Match tester', 'Audit']) expect(links).not.toContain(adminPage);
    // An admin page asked for by address says why it is not shown.
    await page.goto(`${consoleUrl}#/people`);
    await page.getByRole('heading', { name: 'Not for your role' }).waitFor();
    await screenshot(page, 'console-supervisor-forbidden-en');
    expect(await seriousViolations(page)).toEqual([]);
    expect(unexpected(problems, [signedOutAnswer])).toEqual([]);
    await context.close();
  });
});

describe("an admin's console", () => {
  let context: BrowserContext;
  let page: Page;
  let problems: Problem[];

  afterEach(async (task) => {
    if (task.task.result?.state === 'fail' && !page.isClosed()) {
      await screenshot(page, `console-failed-${task.task.name.replace(/\W+/g, '-')}`);
    }
  });

  afterAll(async () => {
    await context.close();
  });

  test('ada.admin signs in and lands on the overview, keyboard first', async () => {
    ({ context, page, problems } = await signIn('ada.admin'));
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await page.getByText('ada.admin · admin · demo').waitFor();
    // The first Tab reaches the skip link, which takes the focus to the page.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to the page');
    await screenshot(page, 'console-overview-en');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('combobox').first().selectOption('ja');
    await page.getByRole('heading', { name: '概要', level: 1 }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('ja');
    await screenshot(page, 'console-overview-ja');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('combobox').first().selectOption('en');
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    expect(unexpected(problems, [signedOutAnswer])).toEqual([]);
  });

  test('People: creates an account shown with its one-time password, resets it, disables it', async () => {
    problems.length = 0;
    await page.getByRole('navigation').getByRole('link', { name: 'People' }).click();
    await page.getByRole('heading', { name: 'People', level: 1 }).waitFor();
    // The heading takes the focus when the page changes.
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
    await page.locator('tr[data-user="alice.agent"]').waitFor();
    await page.getByRole('textbox', { name: 'User name' }).fill('dan.agent');
    await page.getByRole('textbox', { name: 'Display name (optional)' }).fill('Dan Agent');
    await page.getByRole('combobox', { name: 'Role', exact: true }).selectOption('agent');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'One-time password for dan.agent' }).waitFor();
    const first = (await page.getByTestId('one-time-password').textContent()) ?? '';
    expect(first).toHaveLength(20);
    expect(await signInStatus('dan.agent', first)).toBe(200);
    await page.locator('tr[data-user="dan.agent"]').getByText('Not linked').waitFor();
    await screenshot(page, 'console-people-en');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'I have passed it on' }).click();

    // Reset: asked first, then a new password; the old one no longer signs in.
    await page.getByRole('button', { name: 'Reset password (dan.agent)' }).click();
    await page.getByText('Give dan.agent a new one-time password? Their sessions end now.').waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Confirm');
    await page.keyboard.press('Enter');
    await page.getByText('New password set for dan.agent; their sessions ended.').waitFor();
    const second = (await page.getByTestId('one-time-password').textContent()) ?? '';
    expect(second).toHaveLength(20);
    expect(second).not.toBe(first);
    expect(await signInStatus('dan.agent', first)).toBe(401);
    expect(await signInStatus('dan.agent', second)).toBe(200);
    await page.getByRole('button', { name: 'I have passed it on' }).click();

    await page.getByRole('button', { name: 'Disable (dan.agent)' }).click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByText('dan.agent is disabled.').waitFor();
    await page.locator('tr[data-user="dan.agent"]').getByText('Disabled', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Enable (dan.agent)' }).waitFor();
    expect(await signInStatus('dan.agent', second)).toBe(401);
    // An admin cannot disable their own account from here.
    expect(await page.getByRole('button', { name: 'Disable (ada.admin)' }).isDisabled()).toBe(true);

    await page.getByRole('combobox').first().selectOption('ja');
    await page.getByRole('heading', { name: 'ユーザー', level: 1 }).waitFor();
    // The status line already written is reworded in the new language, not left in the old.
    await page.getByText('dan.agent を無効にしました。').waitFor();
    expect(await page.getByText('dan.agent is disabled.').count()).toBe(0);
    await screenshot(page, 'console-people-ja');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('combobox').first().selectOption('en');
    expect(unexpected(problems)).toEqual([]);
  });

  test('Audit: the admin changes are listed, filtered, and exported as CSV', async () => {
    problems.length = 0;
    await page.getByRole('navigation').getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('heading', { name: 'Audit', level: 1 }).waitFor();
    await page.getByRole('tab', { name: 'Admin changes' }).click();
    const rows = page.locator('#audit-panel tbody tr');
    await rows.first().waitFor();
    const actions = await page.locator('#audit-panel tbody tr td:nth-child(3)').allTextContents();
    expect(actions).toEqual(['account.disable', 'account.reset_password', 'account.create']);
    await page.getByRole('textbox', { name: 'User' }).fill('nobody');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('No rows match the filter.').waitFor();
    await page.getByRole('button', { name: 'Clear' }).click();
    await rows.first().waitFor();
    // Every filter control stays inside its own column, wide and narrow (the date-time inputs
    // used to spill over their neighbours).
    const spilled = () => page.locator('form.filter .field').evaluateAll((fields) => fields.flatMap((field) => {
      const column = field.getBoundingClientRect();
      const control = field.querySelector('input, select')?.getBoundingClientRect();
      return control && (control.right > column.right + 0.5 || control.left < column.left - 0.5) ? [field.textContent] : [];
    }));
    expect(await spilled()).toEqual([]);
    await page.setViewportSize({ width: 420, height: 800 });
    expect(await spilled()).toEqual([]);
    await screenshot(page, 'console-audit-narrow-en');
    await page.setViewportSize(desktop);
    const href = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
    expect(href).toBe('/api/v1/console/audit/admin?format=csv');
    const csv = await page.request.get(`${demo.publicUrl}${href ?? ''}`);
    expect(csv.headers()['content-type']).toBe('text/csv; charset=utf-8');
    const lines = (await csv.text()).split('\r\n');
    expect(lines[0]).toBe('at,actor,action,target,call_id,source,outcome,detail');
    expect(lines[1]).toContain(',ada.admin,account.disable,dan.agent,,127.0.0.1,done,');
    await screenshot(page, 'console-audit-en');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('combobox').first().selectOption('ja');
    await page.getByRole('heading', { name: '監査記録', level: 1 }).waitFor();
    await screenshot(page, 'console-audit-ja');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('combobox').first().selectOption('en');
    expect(unexpected(problems)).toEqual([]);
  });

  test('Outbox: a Case the CRM refused is a dead letter; replayed, the CRM holds it once', async () => {
    problems.length = 0;
    const call = `console-e2e-${String(Date.now())}`;
    await linkAlice(context);
    // The sandbox refuses the next Case (403): a refusal is dead-lettered at once.
    await sandbox('POST', '/api/x_cb_sandbox/faults', {
      kind: 'status', status: 403, count: 1, path_prefix: '/api/now/v2/table/sn_customerservice_case',
    });
    for (const [i, event] of [
      { type: 'offered', agent: 'alice.agent', caller: '+819012345678', direction: 'inbound' },
      { type: 'answered', agent: 'alice.agent' },
      { type: 'connected', agent: 'alice.agent' },
    ].entries()) {
      expect(await postEvent({ ...event, event_id: `${call}-${String(i)}`, call_id: call })).toBe(202);
    }
    await page.getByRole('navigation').getByRole('link', { name: 'Outbox' }).click();
    await page.getByRole('heading', { name: 'Outbox', level: 1 }).waitFor();
    const row = page.locator('tbody tr', { hasText: call });
    await expect.poll(async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      return row.getByText('Dead letter').count();
    }, { timeout: 20_000 }).toBe(1);
    await row.getByText('ServiceNow refused the operation (403').waitFor();
    expect(await casesFor(call)).toBe(0);
    await screenshot(page, 'console-outbox-en');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('combobox').first().selectOption('ja');
    await page.getByRole('heading', { name: '送信キュー', level: 1 }).waitFor();
    await screenshot(page, 'console-outbox-ja');
    await page.getByRole('combobox').first().selectOption('en');
    const id = await row.getAttribute('data-item');
    await row.getByRole('button', { name: `Replay item ${id ?? ''}` }).click();
    await page.getByText(`Item ${id ?? ''} is queued again`).waitFor();
    await expect.poll(() => casesFor(call), { timeout: 20_000 }).toBe(1);
    // And it stays one.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await casesFor(call)).toBe(1);
    await expect.poll(async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      return row.count();
    }, { timeout: 10_000 }).toBe(0);
    expect(unexpected(problems)).toEqual([]);
  });
});

/** The sandbox's admin credentials and the call-events secret, as the banner prints them. */
function bannerSecret(pattern: RegExp): string {
  const found = pattern.exec(demo.output())?.[1];
  if (!found) throw new Error(`${String(pattern)} not in the banner:\n${demo.output()}`);
  return found;
}

/** A request to the sandbox as its admin, from a client of its own (no browser cookies: the
 *  sandbox would take a page's session over the Basic credentials) that trusts no CA check. */
let sandboxClient: APIRequestContext | null = null;

async function sandbox(method: 'GET' | 'POST', path: string, data?: object): Promise<unknown> {
  const user = bannerSecret(/^\s+admin\s+(\S+) \/ \S+/m);
  const password = bannerSecret(/^\s+admin\s+\S+ \/ (\S+)/m);
  sandboxClient ??= await playwrightRequest.newContext({ ignoreHTTPSErrors: true });
  const response = await sandboxClient.fetch(`${demo.sandboxUrl}${path}`, {
    method,
    headers: { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`, Accept: 'application/json' },
    ...(data ? { data } : {}),
  });
  expect(response.status(), await response.text()).toBeLessThan(300);
  return response.json();
}

async function casesFor(call: string): Promise<number> {
  const answer = await sandbox('GET', `/api/now/table/sn_customerservice_case?sysparm_query=correlation_id=${encodeURIComponent(call)}`) as { result: unknown[] };
  return answer.result.length;
}

/** Posts one call event signed with the demo's events secret; the status. */
async function postEvent(event: object): Promise<number> {
  const secret = bannerSecret(/^\s+events secret\s+(\S+)/m);
  const body = JSON.stringify(event);
  const t = Math.floor(Date.now() / 1000);
  const signature = createHmac('sha256', secret).update(`${String(t)}.${body}`).digest('hex');
  const response = await fetch(`${demo.publicUrl}/api/v1/tenants/demo/call-events`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Callbridge-Signature': `t=${String(t)},v1=${signature}` },
    body,
  });
  return response.status;
}

/** Links alice.agent's CRM account through the banner's link URL, in a tab of `context`. */
async function linkAlice(context: BrowserContext): Promise<void> {
  const tab = await context.newPage();
  await tab.goto(demo.linkUrls.get('alice.agent') ?? '');
  await tab.fill('#user_name', 'alice.agent');
  await tab.fill('#user_password', demo.crmPasswords.get('alice.agent') ?? '');
  await tab.click('#allow');
  await tab.getByText('CRM account linked').waitFor();
}

/** `POST /api/v1/session` from a script (no Origin): the status. */
async function signInStatus(user: string, password: string): Promise<number> {
  const response = await fetch(`${demo.publicUrl}/api/v1/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ tenant: 'demo', user, password }),
  });
  return response.status;
}
