// The console (`/console`) served by the binary, in Debian's Chromium, against a real
// `callbridge demo`: who gets in (admins and supervisors; an agent is told why not), both
// languages, the keyboard, accessibility, and an admin's work on each page.
import type { Browser, BrowserContext, Page } from 'playwright-core';
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
    await screenshot(page, 'console-supervisor-en');
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
});
