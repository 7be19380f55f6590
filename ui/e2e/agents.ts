// What an agent does with the softphone in the browser tests (sign in, link the CRM, change
// presence), on a page of its own or docked in the sandbox workspace's OpenFrame panel, and the
// sandbox's Table API read as a CRM user to check what Callbridge wrote there.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, request, type BrowserContext, type FrameLocator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { chromiumPath } from './browser';
import type { Demo } from './demo';

/** Where the softphone is: its own page, or the frame of the sandbox's OpenFrame panel. */
export type Softphone = Page | FrameLocator;

/** Signs in on the softphone's sign-in form (tenant `demo`). */
export async function signIn(phone: Softphone, demo: Demo, agent: string): Promise<void> {
  await phone.getByRole('textbox', { name: 'User name' }).fill(agent);
  await phone.getByLabel('Password').fill(demo.passwords.get(agent) ?? '');
  const tenant = phone.getByRole('textbox', { name: 'Contact center' });
  if ((await tenant.inputValue()) === '') await tenant.fill('demo');
  await phone.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => phone.getByRole('button', { name: 'Available' }).count(), { timeout: 15_000 }).toBe(1);
}

/** Links the agent's CRM account from the softphone's panel: the pop-up (opened by `host`, the
 *  top-level page), the sandbox's sign-in and consent, back linked. */
export async function linkCrm(host: Page, phone: Softphone, demo: Demo, agent: string): Promise<void> {
  const [popup] = await Promise.all([
    host.waitForEvent('popup'),
    phone.getByRole('button', { name: 'Connect ServiceNow' }).click(),
  ]);
  // Signed in at the sandbox already (the workspace), the consent page asks only to allow.
  if (await popup.locator('#user_name').count()) {
    await popup.fill('#user_name', agent);
    await popup.fill('#user_password', demo.crmPasswords.get(agent) ?? '');
  }
  await popup.click('#allow');
  await popup.getByText('CRM account linked').waitFor();
  await popup.close();
  await phone.getByText(`Linked as ${agent}.`).waitFor({ state: 'attached', timeout: 10_000 });
}

/** Makes the agent available (once the audio session is up) or away. */
export async function setPresence(phone: Softphone, available: boolean): Promise<void> {
  const button = phone.getByRole('button', { name: available ? 'Available' : 'Away', exact: true });
  if ((await button.getAttribute('aria-pressed')) === 'true') return;
  await expect.poll(() => button.isEnabled(), { timeout: 15_000 }).toBe(true);
  await button.click();
  await phone.locator('.presence-state', { hasText: available ? 'Available' : 'Away' }).waitFor();
}

/** The id of the call ringing on the page (the ringing banner's heading is `ring-<call id>`). */
export async function ringingCallId(phone: Softphone): Promise<string> {
  const id = await phone.locator('section.ringing h2').getAttribute('id', { timeout: 20_000 });
  if (!id?.startsWith('ring-')) throw new Error(`the ringing banner's heading has no call id: ${String(id)}`);
  return id.slice('ring-'.length);
}

/**
 * A browser with a persistent profile, like an agent's own: an incognito-like context blocks
 * third-party storage, and the sandbox (HTTPS) frames the demo's softphone (HTTP), another site.
 * `extraArgs` adds Chromium flags (fake audio files, for example).
 */
export async function agentBrowser(
  options: { width: number; height: number; locale?: string; extraArgs?: string[] },
): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'callbridge-e2e-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      '--allow-loopback-in-peer-connection',
      '--disable-features=TrackingProtection3pcd,ThirdPartyStoragePartitioning,BlockThirdPartyCookies',
      ...(options.extraArgs ?? []),
    ],
    viewport: { width: options.width, height: options.height },
    locale: options.locale ?? 'en-US',
    ignoreHTTPSErrors: true,
    permissions: ['microphone'],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Opens the sandbox's workspace signed in as `agent`, with the OpenFrame panel open. */
export async function openWorkspace(page: Page, demo: Demo, agent: string): Promise<FrameLocator> {
  await page.goto(`${demo.sandboxUrl}/navpage.do`);
  await page.fill('#user_name', agent);
  await page.fill('#user_password', demo.crmPasswords.get(agent) ?? '');
  await page.click('#sysverb_login');
  await page.locator('#openframe-toggle').click();
  return page.frameLocator('#openframe iframe');
}

/** A record as the Table API returns it (display values off: references are sys_ids). */
export type CrmRecord = Record<string, unknown>;

/** Reads the sandbox's Table API as a CRM user (Basic authentication), like a script would. */
export async function crmTable(demo: Demo, user: string, table: string, query: string): Promise<CrmRecord[]> {
  const api = await request.newContext({ ignoreHTTPSErrors: true });
  try {
    const basic = Buffer.from(`${user}:${demo.crmPasswords.get(user) ?? ''}`).toString('base64');
    const url = new URL(`${demo.sandboxUrl}/api/now/table/${table}`);
    url.searchParams.set('sysparm_query', query);
    url.searchParams.set('sysparm_exclude_reference_link', 'true');
    const response = await api.get(url.toString(), { headers: { Authorization: `Basic ${basic}`, Accept: 'application/json' } });
    if (response.status() !== 200) throw new Error(`GET ${url.toString()}: ${response.status()} ${await response.text()}`);
    return ((await response.json()) as { result: CrmRecord[] }).result;
  } finally {
    await api.dispose();
  }
}

/** The Cases whose correlation column holds the call id (the one Case of a call). */
export function casesOfCall(demo: Demo, callId: string): Promise<CrmRecord[]> {
  return crmTable(demo, 'bob.agent', 'sn_customerservice_case', `correlation_id=${callId}`);
}

/** The sys_id of the one contact with this name. */
export async function contactId(demo: Demo, name: string): Promise<string> {
  const rows = await crmTable(demo, 'bob.agent', 'customer_contact', `name=${name}`);
  expect(rows.length, `contacts named ${name}`).toBe(1);
  return String(rows[0]?.sys_id);
}

/** Problems other than the answers a page is expected to get. */
export function unexpectedProblems<T extends { text: string; url: string }>(problems: T[], allowed: RegExp[] = []): T[] {
  return problems.filter((p) => !allowed.some((a) => a.test(`${p.text} ${p.url}`)));
}

/** Signed out, the softphone asks `GET /api/v1/session` and is told 401, which Chromium logs;
 *  the sandbox serves no favicon. */
export const expectedAnswers = [/status of 401 .*\/api\/v1\/session/, /status of 404 .*\/favicon\.ico/];
