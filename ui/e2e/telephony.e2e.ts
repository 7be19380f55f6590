// The console's "Numbers & queues" (`/console#/numbers-queues`) in Debian's Chromium against a
// real `callbridge demo`: the demo's tenant comes from the configuration file, so the page shows
// its numbers, queues and agents read-only, saying where to change them; music and announcements
// are uploaded and checked (a stereo file refused with the command that converts it), in both
// languages, by keyboard, with axe.
import type { BrowserContext, Dialog, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launch, newContext, screenshot, seriousViolations, watch, type Problem } from './browser';
import { startDemo, type Demo } from './demo';

let demo: Demo;
let browser: import('playwright-core').Browser;
let context: BrowserContext;
let page: Page;
let problems: Problem[];
const dialogs: string[] = [];

/** A WAV file of 16-bit PCM: `seconds` of a 440 Hz tone at `rate` Hz on `channels` channels. */
function wav(rate: number, channels: number, seconds: number): Buffer {
  const frames = Math.round(rate * seconds);
  const data = Buffer.alloc(frames * channels * 2);
  for (let i = 0; i < frames; i++) {
    const sample = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate));
    for (let c = 0; c < channels; c++) data.writeInt16LE(sample, (i * channels + c) * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8);
  header.write('fmt ', 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * channels * 2, 28);
  header.writeUInt16LE(channels * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

beforeAll(async () => {
  [demo, browser] = await Promise.all([startDemo(), launch()]);
  context = await newContext(browser, { width: 1280, height: 900, locale: 'en-US' });
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

describe('numbers and queues', () => {
  test('a file tenant is shown read-only, saying where to change it', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Numbers & queues' }).click();
    await page.getByRole('heading', { name: 'Numbers & queues', level: 1 }).waitFor();
    const source = page.getByTestId('source');
    await source.waitFor();
    expect(await source.textContent()).toMatch(/^This tenant is set in .+callbridge\.toml; change it there and restart\. The values below are read-only\.$/);
    const sources = page.getByRole('textbox', { name: 'Carriers allowed to send calls' });
    expect(await sources.inputValue()).toBe('127.0.0.1');
    expect(await sources.isDisabled()).toBe(true);
    const numbers = page.getByRole('textbox', { name: 'Number' });
    expect(await numbers.first().inputValue()).toBe('+81312345000');
    expect(await numbers.first().isDisabled()).toBe(true);
    const support = page.getByRole('group', { name: 'Queue support' });
    expect(await support.getByLabel('While waiting, the caller hears').inputValue()).toBe('ringback');
    expect(await support.getByLabel('When nobody is logged in').inputValue()).toBe('busy');
    expect(await page.getByRole('checkbox', { name: 'alice.agent answers support' }).isChecked()).toBe(true);
    expect(await page.getByRole('button', { name: 'Save and apply' }).count()).toBe(0);
    await screenshot(page, 'console-numbers-queues-en');
    expect(await seriousViolations(page)).toEqual([]);
  });

  test('a stereo file is refused with the command that converts it; a telephone-rate one is kept, by keyboard', async () => {
    await page.getByLabel('WAV file').setInputFiles({ name: 'stereo.wav', mimeType: 'audio/wav', buffer: wav(8000, 2, 0.5) });
    await page.getByRole('button', { name: 'Upload' }).click();
    const error = page.getByTestId('upload-error');
    await error.waitFor();
    expect(await error.textContent()).toBe(
      'The file was not accepted: the WAV file has 2 channels; a mono file (1 channel) is accepted; convert it to 16-bit PCM, mono, 8000 Hz WAV: ffmpeg -i INPUT -ac 1 -ar 8000 -c:a pcm_s16le OUTPUT.wav (or: sox INPUT -r 8000 -c 1 -b 16 -e signed-integer OUTPUT.wav)',
    );

    // By keyboard: the kind, then the file, then the button.
    const kind = page.getByLabel('The file is');
    await kind.focus();
    await page.keyboard.press('ArrowDown');
    expect(await kind.inputValue()).toBe('announcement');
    await page.getByLabel('WAV file').setInputFiles({ name: 'closed.wav', mimeType: 'audio/wav', buffer: wav(8000, 1, 1.5) });
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Upload');
    await page.keyboard.press('Enter');
    await page.getByText('closed.wav is uploaded; choose it for a queue below and save.').waitFor();
    const row = page.getByRole('row', { name: /closed\.wav/ });
    expect(await row.locator('td').first().textContent()).toBe('An announcement');
    expect(await row.locator('td').nth(1).textContent()).toBe('1.5 s');
    // The upload is offered as the queue's announcement (the file tenant's form stays read-only).
    const options = await page.getByRole('group', { name: 'Queue support' }).getByRole('combobox', { name: /^Announcement/ }).locator('option').allTextContents();
    expect(options).toEqual(['None', 'closed.wav']);
    expect(await seriousViolations(page)).toEqual([]);

    // No queue plays it, so it can be deleted, after a question: gone from the list and the choices.
    await page.getByRole('button', { name: 'Delete closed.wav' }).click();
    const question = page.getByRole('group', { name: /^Delete closed\.wav from this server\?/ });
    await question.waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await question.getByRole('button', { name: 'Confirm' }).click();
    await page.getByText('closed.wav is deleted.').waitFor();
    expect(await page.getByRole('row', { name: /closed\.wav/ }).count()).toBe(0);
    const left = await page.getByRole('group', { name: 'Queue support' }).getByRole('combobox', { name: /^Announcement/ }).locator('option').allTextContents();
    expect(left).toEqual(['None']);
  });

  test('the page in Japanese', async () => {
    await page.getByRole('combobox').first().selectOption('ja');
    await page.getByRole('heading', { name: '番号とキュー', level: 1 }).waitFor();
    expect(await page.getByTestId('source').textContent()).toMatch(/^このテナントは .+callbridge\.toml で設定されています。/);
    expect(await page.getByRole('checkbox', { name: 'alice.agent が support を受ける' }).isChecked()).toBe(true);
    await screenshot(page, 'console-numbers-queues-ja');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('combobox').first().selectOption('en');
    await page.getByRole('heading', { name: 'Numbers & queues', level: 1 }).waitFor();
    expect(dialogs).toEqual([]);
    // The refused upload and the signed-out page's first session check are the only failed requests.
    const expected = [/status of 400 .*\/api\/v1\/console\/telephony\/prompts\?/, /status of 401 .*\/api\/v1\/session$/];
    expect(problems.filter((p) => !expected.some((e) => e.test(`${p.text} ${p.url}`)))).toEqual([]);
  });
});
