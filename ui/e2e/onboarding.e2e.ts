// A brand-new tenant's onboarding as a contact center lives it, in Debian's Chromium: a ServiceNow
// instance that knows nothing of Callbridge (`callbridge sandbox --seed empty`), an S3-compatible
// store (s3s-fs), a running Callbridge (`callbridge demo`, the new tenant beside the demo's).
// The instance's admin does in ServiceNow what the docs ask; the operator runs `callbridge tenant
// add`; everything else is done in the console by the tenant's admin: the connection, the tables
// (the recording-link column created from the page), the S3 store, an agent, a number. The agent
// links the CRM, a customer calls: the contact pops, the Case is created in the instance with its
// recording link, and the recording lands in the bucket. Each phase's time is printed.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { launch, newContext, screenshot, seriousViolations, watch, type Problem } from './browser';
import { bin, startDemo, type Demo } from './demo';
import { filesUnder, sippCall, startEmptyInstance, startS3, TableApi, type CrmRow, type EmptyInstance, type S3 } from './onboarding';

const tenant = 'acme';
const tenantAdmin = 'ann.admin';
const agent = 'dana.agent';
const did = '+81312345777';
const customer = { first: 'Kenji', last: 'Sato', stored: '090-5555-0101', callerId: '+819055550101' };
const recordingColumn = 'u_recording_url';

let instance: EmptyInstance;
let s3: S3;
let demo: Demo;
let browser: Browser;
let snAdmin: TableApi;
let adminContext: BrowserContext | undefined;
let agentContext: BrowserContext | undefined;
let console_: Page;
let phone: Page;
let problems: Problem[] = [];
let agentProblems: Problem[] = [];
let adminPassword = '';
let agentPassword = '';
let agentCrmPassword = '';
let contact: CrmRow;
/** The pages opened so far, for a failed step's screenshots. */
const opened: [string, Page][] = [];

/** Each phase's duration, in order, printed at the end. */
const timings: [string, number][] = [];
const flowStarted = Date.now();
async function phase<T>(name: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await work();
  timings.push([name, Date.now() - started]);
  return result;
}

/** Runs `callbridge` with `args`, `stdin` on its standard input; its standard output. */
function cli(args: string[], stdin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    child.on('exit', (code) => { if (code === 0) resolve(out); else reject(new Error(`callbridge ${args.join(' ')}: ${err}${out}`)); });
    child.stdin.end(stdin);
  });
}

function password(): string {
  return `Pw-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
}

/** Signed out, a page asks `GET /api/v1/session` and is told 401, which Chromium logs. */
const signedOutAnswer = /status of 401 .*\/api\/v1\/session$/;
function unexpected(seen: Problem[], allowed: RegExp[] = []): Problem[] {
  return seen.filter((p) => ![signedOutAnswer, ...allowed].some((a) => a.test(`${p.text} ${p.url}`)));
}

/** The checks of the open Setup step once they have run: `[id, status]` pairs. */
async function checks(page: Page): Promise<[string, string][]> {
  await page.getByTestId('checks-summary').waitFor({ timeout: 20_000 });
  return page.locator('[data-check]').evaluateAll((nodes) => nodes.map((n) => [n.getAttribute('data-check') ?? '', n.getAttribute('data-status') ?? ''] as [string, string]));
}

/** Waits until the open step's checks, as the page shows them once they have run, have no
 *  failure and pass every one of `mustPass` (a re-run replaces the list: it is read until it
 *  settles). A failure is reported in the page's words, with its fix. */
async function green(page: Page, mustPass: string[] = []): Promise<void> {
  await expect.poll(async () => {
    const seen = await checks(page);
    return {
      failed: await page.locator('[data-check][data-status="fail"]').allTextContents(),
      notPassed: mustPass.filter((id) => !seen.some(([i, status]) => i === id && status === 'pass')),
    };
  }, { timeout: 20_000 }).toEqual({ failed: [], notPassed: [] });
}

async function openStep(page: Page, n: number, title: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Setup steps' }).getByRole('button', { name: `${String(n)}. ${title}` }).click();
  await page.getByRole('heading', { name: title, level: 2 }).waitFor();
}

beforeAll(async () => {
  await phase('start: empty instance, s3s-fs, Callbridge, Chromium', async () => {
    [instance, s3, demo, browser] = await Promise.all([startEmptyInstance(), startS3(), startDemo(), launch()]);
  });
  snAdmin = new TableApi(instance.url, instance.admin.user, instance.admin.password);
});

afterAll(async () => {
  timings.push(['whole flow', Date.now() - flowStarted]);
  console.log(`onboarding: ${timings.map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)} s`).join('; ')}`);
  await adminContext?.close();
  await agentContext?.close();
  await browser.close();
  await snAdmin.dispose();
  await Promise.all([demo.stop(), instance.stop(), s3.stop()]);
});

afterEach(async (task) => {
  if (task.task.result?.state !== 'fail') return;
  const name = task.task.name.replace(/\W+/g, '-');
  for (const [who, page] of opened) {
    if (!page.isClosed()) await screenshot(page, `onboarding-failed-${name}-${who}`);
  }
});

describe('a new tenant, from an empty instance to its first call', () => {
  test('the instance admin prepares ServiceNow: the integration user, the OAuth client, an agent, a customer', async () => {
    await phase('ServiceNow admin checklist', async () => {
      // System Properties: allow the client_credentials grant Callbridge's background work uses.
      await snAdmin.create('sys_properties', { name: 'glide.oauth.inbound.client.credential.grant_type.enabled', value: 'true', type: 'boolean' });
      // User Administration > Users: the integration user (web services only), with the roles
      // that read customers, write Cases and read the dictionary.
      const integration = await snAdmin.create('sys_user', {
        user_name: 'callbridge.integration', first_name: 'Callbridge', last_name: 'Integration',
        web_service_access_only: 'true', user_password: password(),
      });
      await snAdmin.grant(integration.sys_id ?? '', 'sn_customerservice_agent');
      await snAdmin.grant(integration.sys_id ?? '', 'personalize_dictionary');
      // System OAuth > Application Registry > the client: its OAuth Application User.
      const client = await snAdmin.one('oauth_entity', `client_id=${instance.client.id}`);
      await snAdmin.update('oauth_entity', client.sys_id ?? '', { user: integration.sys_id ?? '' });
      // The agent's own CRM user, with the CSM agent role.
      agentCrmPassword = password();
      const crmAgent = await snAdmin.create('sys_user', { user_name: agent, first_name: 'Dana', last_name: 'Agent', user_password: agentCrmPassword });
      await snAdmin.grant(crmAgent.sys_id ?? '', 'sn_customerservice_agent');
      // A customer contact with a phone number as people type them.
      contact = await snAdmin.create('customer_contact', { first_name: customer.first, last_name: customer.last, mobile_phone: customer.stored });
    });
    expect(contact.name).toBe(`${customer.first} ${customer.last}`);
  });

  test('the operator creates the tenant with `callbridge tenant add`', async () => {
    const out = await phase('tenant add', () => cli(
      ['tenant', 'add', '--config', join(demo.data, 'callbridge.toml'), tenant, '--admin', tenantAdmin, '--name', 'Acme support', '--region', 'JP',
        '--instance-url', instance.url, '--client-id', instance.client.id, '--ca-file', instance.caFile],
      `${instance.client.secret}\n`,
    ));
    adminPassword = /^one-time password: (.+)$/m.exec(out)?.[1] ?? '';
    expect(adminPassword, out).not.toBe('');
  });

  test('the tenant admin signs in to the console; Setup step 1: the connection, checked live', async () => {
    await phase('console: sign-in and connection', async () => {
      adminContext = await newContext(browser, { width: 1280, height: 900, locale: 'en-US' });
      console_ = await adminContext.newPage();
      opened.push(['console', console_]);
      problems = watch(console_);
      await console_.goto(`${demo.consoleUrl ?? ''}?tenant=${tenant}`);
      // Signed in as soon as `tenant add` printed the password: the server takes the new tenant
      // in at this sign-in, so Setup shows it whole (not a tenant "with no setup").
      await console_.getByRole('textbox', { name: 'User name' }).fill(tenantAdmin);
      await console_.getByLabel('Password').fill(adminPassword);
      await console_.getByRole('button', { name: 'Sign in' }).click();
      await console_.getByRole('navigation', { name: 'Console pages' }).getByRole('link', { name: 'Setup' }).click();
      await console_.getByRole('heading', { name: 'Setup', level: 1 }).waitFor();
      await console_.getByTestId('editable').waitFor();
      await console_.getByRole('heading', { name: 'CRM connection', level: 2 }).waitFor();
      await console_.locator('tr[data-key="instance_url"]').getByText(instance.url).waitFor();
      await console_.locator('tr[data-key="client_secret"]').getByText('set (not shown)').waitFor();
      // The page names the redirect URL; the instance admin registers it on the OAuth client
      // (System OAuth > Application Registry), where the agents' CRM link comes back to.
      const redirect = await console_.getByTestId('redirect-url').textContent() ?? '';
      expect(redirect).toBe(`${demo.publicUrl}/api/v1/crm/oauth/callback`);
      const client = await snAdmin.one('oauth_entity', `client_id=${instance.client.id}`);
      await snAdmin.update('oauth_entity', client.sys_id ?? '', { redirect_url: redirect });
      await console_.getByRole('button', { name: 'Run the checks again' }).click();
      await green(console_, ['instance.reachable', 'oauth.service_grant']);
    });
    await screenshot(console_, 'onboarding-setup-connection-en');
    expect(await seriousViolations(console_)).toEqual([]);
  });

  test('step 2: the recording-link column created from the page, the tables chosen from what the instance holds', async () => {
    await phase('console: tables and the recording column', async () => {
      await openStep(console_, 2, 'Tables and columns');
      const state = console_.getByTestId('recording-column-state');
      await state.getByText(`The recording-link column ${recordingColumn} does not exist on the Case table.`).waitFor();
      // What the instance's dictionary holds for the Case table, read live.
      await console_.locator('details[data-table="sn_customerservice_case"] summary').click();
      await console_.locator('details[data-table="sn_customerservice_case"]').getByRole('rowheader', { name: 'correlation_id' }).waitFor();
      await screenshot(console_, 'onboarding-setup-tables-before-en');
      expect(await seriousViolations(console_)).toEqual([]);
      const create = console_.getByRole('region', { name: 'Create the recording-link column' });
      expect(await create.getByRole('textbox', { name: 'Column name' }).inputValue()).toBe(recordingColumn);
      await create.getByRole('textbox', { name: 'Instance admin user name' }).fill(instance.admin.user);
      await create.getByLabel('Instance admin password').fill(instance.admin.password);
      await create.getByRole('button', { name: 'Create the column' }).click();
      await state.getByText(`The recording-link column ${recordingColumn} exists on the Case table.`).waitFor();
      expect(await console_.getByTestId('recording-columns').textContent()).toContain(recordingColumn);
      // The Case table and the recording-link column, as the schema lists them, saved.
      const edit = console_.getByTestId('edit-tables');
      expect(await edit.getByRole('textbox', { name: 'Case table' }).inputValue()).toBe('sn_customerservice_case');
      await edit.getByRole('textbox', { name: 'Recording-link column' }).fill(recordingColumn);
      await edit.getByRole('button', { name: 'Save and check' }).click();
      await edit.getByTestId('save-status').getByText(/^Saved as version \d+ and in use\.$/).waitFor();
      await green(console_, ['column.case.recording_url']);
    });
    // The column is the instance's now, as its dictionary says.
    const column = await snAdmin.one('sys_dictionary', `name=sn_customerservice_case^element=${recordingColumn}`);
    expect(column.internal_type).toBe('url');
    await screenshot(console_, 'onboarding-setup-tables-en');
    expect(await seriousViolations(console_)).toEqual([]);
  });

  test('step 4: the recording store on S3 (s3s-fs), with the IAM policy for exactly its keys', async () => {
    await phase('console: S3 recording store', async () => {
      await openStep(console_, 3, 'Agents’ roles');
      await console_.locator('tr[data-table="sn_customerservice_case"]').getByText('sn_customerservice_agent').waitFor();
      await checks(console_);
      await screenshot(console_, 'onboarding-setup-roles-en');
      expect(await seriousViolations(console_)).toEqual([]);
      await openStep(console_, 4, 'Recording store');
      const edit = console_.getByTestId('edit-recordings');
      await edit.getByRole('combobox', { name: 'Store' }).selectOption('s3');
      await edit.getByRole('textbox', { name: 'Bucket' }).fill(s3.bucket);
      await edit.getByRole('textbox', { name: 'Region' }).fill('us-east-1');
      await edit.getByRole('textbox', { name: 'Endpoint' }).fill(s3.endpoint);
      await edit.getByRole('textbox', { name: 'Key prefix' }).fill('rec');
      await edit.getByRole('textbox', { name: 'Access key id' }).fill(s3.accessKeyId);
      await edit.getByLabel('Secret access key').fill(s3.secretAccessKey);
      await edit.getByRole('button', { name: 'Save and check' }).click();
      await edit.getByTestId('save-status').getByText(/^Saved as version \d+ and in use\.$/).waitFor();
      const policy = JSON.parse(await console_.getByTestId('iam-policy').textContent() ?? '{}') as { Statement: { Resource: string }[] };
      expect(policy.Statement[0]?.Resource).toBe(`arn:aws:s3:::${s3.bucket}/rec/${tenant}/*`);
      // The probe object written, read back and deleted on s3s-fs with the tenant's keys.
      await green(console_, ['telephony.spool', 'telephony.recordings.store']);
    });
    await screenshot(console_, 'onboarding-setup-recordings-en');
    expect(await seriousViolations(console_)).toEqual([]);
    // One step in Japanese.
    await console_.getByRole('combobox').first().selectOption('ja');
    await console_.getByRole('heading', { name: '録音の保存先', level: 2 }).waitFor();
    await console_.getByTestId('checks-summary').getByText(/^成功 \d+ 件、警告 \d+ 件、失敗 0 件、スキップ \d+ 件$/).waitFor();
    await screenshot(console_, 'onboarding-setup-recordings-ja');
    expect(await seriousViolations(console_)).toEqual([]);
    await console_.getByRole('combobox').first().selectOption('en');
    await console_.getByRole('heading', { name: 'Recording store', level: 2 }).waitFor();
  });

  test('People: an agent account; Numbers & queues: a number routed to a queue the agent answers', async () => {
    await phase('console: agent account, number and queue', async () => {
      await console_.getByRole('navigation', { name: 'Console pages' }).getByRole('link', { name: 'People' }).click();
      await console_.getByRole('heading', { name: 'People', level: 1 }).waitFor();
      const create = console_.getByRole('region', { name: 'Add an account' });
      await create.getByRole('textbox', { name: 'User name' }).fill(agent);
      await create.getByRole('textbox', { name: 'Display name (optional)' }).fill('Dana Agent');
      await create.getByRole('combobox', { name: 'Role' }).selectOption('agent');
      await create.getByRole('button', { name: 'Create account' }).click();
      agentPassword = await console_.getByTestId('one-time-password').textContent() ?? '';
      expect(agentPassword).not.toBe('');
      await screenshot(console_, 'onboarding-people-en');
      expect(await seriousViolations(console_)).toEqual([]);
      await console_.getByRole('button', { name: 'I have passed it on' }).click();

      await console_.getByRole('navigation', { name: 'Console pages' }).getByRole('link', { name: 'Numbers & queues' }).click();
      await console_.getByRole('heading', { name: 'Numbers & queues', level: 1 }).waitFor();
      await console_.getByRole('textbox', { name: 'Carriers allowed to send calls' }).fill('127.0.0.1');
      await console_.getByRole('button', { name: 'Add a queue' }).click();
      await console_.getByRole('group', { name: 'Queue queue-1' }).getByRole('textbox', { name: 'Queue id' }).fill('front');
      await console_.getByRole('button', { name: 'Add a number' }).click();
      await console_.getByRole('textbox', { name: 'Number' }).fill(did);
      await console_.getByRole('button', { name: 'Add an agent' }).click();
      await console_.getByRole('textbox', { name: 'Agent' }).fill(agent);
      await console_.getByRole('checkbox', { name: `${agent} answers front` }).check();
      await console_.getByRole('button', { name: 'Save and apply' }).click();
      await console_.getByText(/^Saved as version \d+ and applied\.$/).waitFor();
    });
    await screenshot(console_, 'onboarding-numbers-queues-en');
    expect(await seriousViolations(console_)).toEqual([]);
  });

  test('the agent signs in to the softphone, links the CRM account at the consent page, goes available', async () => {
    await phase('softphone: sign-in, CRM link, available', async () => {
      agentContext = await newContext(browser, { width: 360, height: 640, locale: 'en-US' });
      phone = await agentContext.newPage();
      opened.push(['softphone', phone]);
      agentProblems = watch(phone);
      await phone.goto(`${demo.publicUrl}/?lang=en&tenant=${tenant}`);
      await phone.getByRole('textbox', { name: 'User name' }).fill(agent);
      await phone.getByLabel('Password').fill(agentPassword);
      await phone.getByRole('button', { name: 'Sign in' }).click();
      await phone.getByText('Your CRM account is not linked.').waitFor({ timeout: 15_000 });
      const [popup] = await Promise.all([
        phone.waitForEvent('popup'),
        phone.getByRole('button', { name: 'Connect ServiceNow' }).click(),
      ]);
      await popup.fill('#user_name', agent);
      await popup.fill('#user_password', agentCrmPassword);
      await popup.click('#allow');
      await popup.getByText('CRM account linked').waitFor();
      await popup.close();
      await phone.getByText(`Linked as ${agent}.`).waitFor({ state: 'attached', timeout: 10_000 });
      const available = phone.getByRole('button', { name: 'Available', exact: true });
      await expect.poll(() => available.isEnabled(), { timeout: 15_000 }).toBe(true);
      await available.click();
      await phone.locator('.presence-state', { hasText: 'Available' }).waitFor();
    });
    expect(await seriousViolations(phone)).toEqual([]);
  });

  test('doctor is green on every Setup step', async () => {
    await phase('console: doctor on every step', async () => {
      await console_.getByRole('navigation', { name: 'Console pages' }).getByRole('link', { name: 'Setup' }).click();
      await console_.getByRole('heading', { name: 'Setup', level: 1 }).waitFor();
      for (const [n, title] of [[1, 'CRM connection'], [2, 'Tables and columns'], [3, 'Agents’ roles'], [4, 'Recording store']] as const) {
        await openStep(console_, n, title);
        await green(console_);
      }
      await openStep(console_, 3, 'Agents’ roles');
      await green(console_, [`agent.${agent}.crm_access`]);
    });
    // The operator's `callbridge doctor` agrees (exit code 0: nothing failed), probe Case included.
    const report = await phase('callbridge doctor', () => cli(['doctor', '--config', join(demo.data, 'callbridge.toml'), '--tenant', tenant], ''));
    expect(report).toContain('instance.reachable');
    expect(unexpected(problems)).toEqual([]);
  });

  test('a customer calls the new number: the contact pops, the Case is created, the recording lands in S3', async () => {
    const sip = demo.callArgs[demo.callArgs.indexOf('--sip') + 1] ?? '127.0.0.1:5060';
    let callId = '';
    const call = await sippCall({ sip, scenario: join(demo.data, 'customer-call.xml'), from: customer.callerId, to: did, talkMs: 3000 });
    try {
      await phase('call: ringing with the contact popped', async () => {
        await phone.locator('section.ringing').waitFor({ timeout: 20_000 });
        await phone.locator('section.ringing').getByText(`${customer.first} ${customer.last}`).waitFor({ timeout: 10_000 });
        const id = await phone.locator('section.ringing h2').getAttribute('id') ?? '';
        callId = id.replace(/^ring-/, '');
      });
      await screenshot(phone, 'onboarding-ringing-en');
      const cases = await phase('call: answered, Case created', async () => {
        await phone.getByRole('button', { name: 'Answer' }).click();
        await phone.locator('.badge', { hasText: /Case CS\d+/ }).waitFor({ timeout: 20_000 });
        return snAdmin.list('sn_customerservice_case', `correlation_id=${callId}`);
      });
      expect(cases.length, JSON.stringify(cases)).toBe(1);
      expect(cases[0]?.contact).toBe(contact.sys_id);
      expect(cases[0]?.[recordingColumn]).toBe(`${demo.publicUrl}/recordings/${callId}`);
      await phase('call: hung up, recording in S3', async () => {
        expect(await call.done, call.output()).toBe(0);
        await expect.poll(() => filesUnder(s3.bucketDir).filter((f) => f.startsWith(`rec/${tenant}/`) && f.endsWith(`${callId}.wav`)), { timeout: 30_000 }).toHaveLength(1);
      });
      // The object is the call's stereo WAV, as uploaded under the tenant's keys.
      const [key] = filesUnder(s3.bucketDir).filter((f) => f.endsWith(`${callId}.wav`));
      const wav = readFileSync(join(s3.bucketDir, key ?? ''));
      expect(wav.subarray(0, 4).toString('latin1')).toBe('RIFF');
      expect(wav.subarray(8, 12).toString('latin1')).toBe('WAVE');
      expect(wav.readUInt16LE(22), 'channels').toBe(2);
    } finally {
      await call.stop();
    }
    expect(unexpected(agentProblems)).toEqual([]);
  });
});
