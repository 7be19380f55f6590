// The sandbox's workspace (its stand-in for ServiceNow's UI) with the softphone docked in the
// OpenFrame panel that `callbridge demo`'s setup configured: the panel loads the softphone from
// the `sn_openframe_configuration` row, and a click on a contact's number reaches the softphone
// as OpenFrame's click-to-dial event and fills its dial screen.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { chromiumPath, screenshot, watch } from './browser';
import { startDemo, type Demo } from './demo';

let demo: Demo;
let profile: string;
let context: BrowserContext;

// A persistent profile, like an agent's browser: an incognito-like context (what `launch()` and
// `newContext()` give) blocks third-party storage, and the sandbox (HTTPS) and the demo's
// softphone (HTTP) are different sites, so the framed softphone would be third-party.
beforeAll(async () => {
  profile = mkdtempSync(join(tmpdir(), 'callbridge-e2e-profile-'));
  [demo, context] = await Promise.all([
    startDemo(),
    chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--allow-loopback-in-peer-connection', '--disable-features=TrackingProtection3pcd,ThirdPartyStoragePartitioning,BlockThirdPartyCookies'],
      viewport: { width: 1400, height: 900 },
      locale: 'en-US',
      ignoreHTTPSErrors: true,
      permissions: ['microphone'],
    }),
  ]);
});

afterAll(async () => {
  await context.close();
  await demo.stop();
  rmSync(profile, { recursive: true, force: true });
});

/** The sandbox's base URL, as the demo's banner prints it. */
function sandboxUrl(): string {
  const url = /^ServiceNow sandbox\s+(https?:\/\/\S+)/m.exec(demo.output())?.[1];
  if (!url) throw new Error(`no "ServiceNow sandbox <url>" line in the demo's banner:\n${demo.output()}`);
  return url;
}

/** Signed out, the softphone asks `GET /api/v1/session` and is told 401, which Chromium logs. */
const signedOutAnswer = /Failed to load resource: the server responded with a status of 401/;

// The sandbox (HTTPS) frames the demo's softphone (HTTP): a third-party frame, whose storage
// Chromium blocks; the softphone must start there all the same.
describe("the sandbox's workspace", () => {
  test("docks the softphone in the OpenFrame panel, and a click on a contact's number fills its dial screen", async () => {
    const agent = 'alice.agent';
    const page = await context.newPage();
    const problems = watch(page);
    await page.goto(`${sandboxUrl()}/navpage.do`);
    await page.fill('#user_name', agent);
    await page.fill('#user_password', demo.crmPasswords.get(agent) ?? '');
    await page.click('#sysverb_login');
    await page.locator('#openframe-toggle').click();

    // The panel's frame is the softphone the setup pointed the configuration row at.
    const panel = page.locator('#openframe iframe');
    expect(await panel.getAttribute('src')).toBe(`${demo.publicUrl}/?tenant=demo`);
    const phone = page.frameLocator('#openframe iframe');
    await phone.getByRole('textbox', { name: 'User name' }).fill(agent);
    await phone.getByLabel('Password').fill(demo.passwords.get(agent) ?? '');
    const tenant = phone.getByRole('textbox', { name: 'Contact center' });
    if ((await tenant.inputValue()) === '') await tenant.fill('demo');
    await phone.getByRole('button', { name: 'Sign in' }).click();
    await phone.getByRole('button', { name: 'Available' }).waitFor({ timeout: 15_000 });
    await screenshot(page, 'sandbox-workspace-panel-en');

    // Haruto Tanaka's business phone, the first number of the contact list.
    const main = page.frameLocator('#gsft_main');
    const link = main.locator('a.phone', { hasText: '03-1234-5678' }).first();
    await link.waitFor();
    const number = phone.getByRole('textbox', { name: /number/i });
    const clicked = Date.now();
    await link.click();
    await expect.poll(() => number.inputValue(), { timeout: 5_000 }).toBe('0312345678');
    await phone.getByText('Will dial +81312345678').waitFor();
    await phone.getByText('From a customer_contact record').waitFor();
    console.log(`click-to-dial: dial screen filled ${Date.now() - clicked} ms after the click (polled)`);
    await screenshot(page, 'sandbox-workspace-click-to-dial-en');
    expect(problems.filter((p) => !signedOutAnswer.test(p.text))).toEqual([]);
    await page.close();
  });
});
