// The page's own speed: from a click on a number in the CRM (the sandbox workspace's contact
// form) to the docked softphone's dial screen showing it, timed in the page with one clock for
// both frames (BENCH_CLICKS, default 50); and the first render of the softphone on a cold load
// (an empty cache and the cache disabled, signed in; BENCH_LOADS, default 10).
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { agentBrowser, contactId, openWorkspace, signIn } from '../agents';
import { launch, newContext } from '../browser';
import { startDemo, type Demo } from '../demo';
import { clickAt, frameAt, percentile, whenTextAppears } from '../measure';

const clicks = Number(process.env.BENCH_CLICKS ?? 50);
const loads = Number(process.env.BENCH_LOADS ?? 10);

let demo: Demo;

beforeAll(async () => {
  demo = await startDemo();
});

afterAll(async () => {
  await demo.stop();
});

function summary(label: string, values: number[]): string {
  const f = (v: number) => v.toFixed(1);
  return `${label}: n=${values.length} p50 ${f(percentile(values, 50))} p95 ${f(percentile(values, 95))} p99 ${f(percentile(values, 99))} max ${f(Math.max(...values))} ms`;
}

test(`click-to-dial: ${clicks} clicks on a contact form's numbers to the dial screen showing them`, async () => {
  const browser = await agentBrowser({ width: 1400, height: 900 });
  try {
    const page: Page = await browser.context.newPage();
    const phone = await openWorkspace(page, demo, 'alice.agent');
    await signIn(phone, demo, 'alice.agent');
    const main = page.frameLocator('#gsft_main');
    await main.getByRole('link', { name: 'Haruto Tanaka' }).first().click();
    const haruto = await contactId(demo, 'Haruto Tanaka');
    await expect.poll(() => page.frame({ name: 'gsft_main' })?.url() ?? '').toContain(haruto);
    // His two numbers, clicked in turn, so that the dial screen changes at every click.
    const numbers = [
      { link: main.locator('a.phone', { hasText: '03-1234-5678' }), shows: 'Will dial +81312345678' },
      { link: main.locator('a.phone', { hasText: '090-1234-5678' }), shows: 'Will dial +819012345678' },
    ];
    const softphone = frameAt(page, demo.publicUrl);
    const form = page.frame({ name: 'gsft_main' });
    if (!form) throw new Error('no gsft_main frame');
    const latencies: number[] = [];
    for (let i = 0; i < clicks; i++) {
      const target = numbers[i % 2] ?? numbers[0];
      if (!target) break;
      const shown = await whenTextAppears(softphone, target.shows);
      const clicked = await clickAt(form, target.link);
      latencies.push((await shown()) - clicked);
    }
    console.log(`--- click-to-dial (sandbox workspace, OpenFrame panel) ---\n${summary('click on a number -> dial screen shows it', latencies)}\ntarget: under 100 ms`);
  } finally {
    await browser.close();
  }
}, 600_000);

test(`first render on a cold load, signed in (${loads} loads)`, async () => {
  const browser = await launch();
  try {
    // Signed in once; every load gets that session's cookie in a new, empty context.
    const first = await newContext(browser, { width: 360, height: 640 });
    const page = await first.newPage();
    await page.goto(`${demo.publicUrl}/?lang=en&tenant=demo`);
    await signIn(page, demo, 'alice.agent');
    const state = await first.storageState();
    await first.close();

    const fcp: number[] = [];
    const softphone: number[] = [];
    for (let i = 0; i < loads; i++) {
      const context = await browser.newContext({ storageState: state, viewport: { width: 360, height: 640 }, locale: 'en-US' });
      const cold = await context.newPage();
      const cdp = await context.newCDPSession(cold);
      await cdp.send('Network.enable');
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
      // When the softphone itself (its presence switch) is first in the document.
      await cold.addInitScript(() => {
        const w = window as unknown as { __softphoneShownAt?: number };
        const observer = new MutationObserver(() => {
          if (document.querySelector('.presence')) {
            w.__softphoneShownAt = performance.now();
            observer.disconnect();
          }
        });
        observer.observe(document, { subtree: true, childList: true });
      });
      await cold.goto(`${demo.publicUrl}/?lang=en`);
      await cold.locator('.presence').waitFor();
      const timing = await cold.evaluate(() => ({
        fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN,
        shown: (window as unknown as { __softphoneShownAt?: number }).__softphoneShownAt ?? Number.NaN,
      }));
      fcp.push(timing.fcp);
      softphone.push(timing.shown);
      await context.close();
    }
    console.log(
      `--- cold load (cache disabled, signed in, loopback) ---\n${summary('navigation -> first contentful paint', fcp)}\n` +
        `${summary('navigation -> the softphone (presence switch) in the page', softphone)}\ntarget: under 1000 ms`,
    );
  } finally {
    await browser.close();
  }
}, 600_000);
