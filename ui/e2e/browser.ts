// Debian's Chromium (never a downloaded browser) driven by playwright-core, with what every test
// checks collected per page: console errors, uncaught exceptions, CSP violations.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const screenshotDir = new URL('../../target/screenshots/', import.meta.url).pathname;

/** `audioFile`: a WAV file the fake microphone plays (looped) instead of Chromium's beeps; Web
 *  Audio then runs without a user gesture, so a test can analyse what a page hears. */
export async function launch(options: { audioFile?: string } = {}): Promise<Browser> {
  const audio = options.audioFile ? [`--use-file-for-fake-audio-capture=${options.audioFile}`, '--autoplay-policy=no-user-gesture-required'] : [];
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      // The demo's media is on 127.0.0.1.
      '--allow-loopback-in-peer-connection',
      ...audio,
    ],
  });
}

/** A browser profile of its own (cookies, storage), at a size, in a language. */
export async function newContext(
  browser: Browser,
  options: { width: number; height: number; locale?: string },
): Promise<BrowserContext> {
  return browser.newContext({
    viewport: { width: options.width, height: options.height },
    locale: options.locale ?? 'en-US',
    // The sandbox's certificate is signed by the CA the demo generated at start.
    ignoreHTTPSErrors: true,
    permissions: ['microphone'],
  });
}

export interface Problem {
  kind: 'console' | 'exception' | 'csp';
  text: string;
  url: string;
}

/** Everything wrong a page reported, as it happens; `expected` filters known answers out. */
export function watch(page: Page): Problem[] {
  const problems: Problem[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    problems.push({
      kind: /Content.Security.Policy/i.test(text) ? 'csp' : 'console',
      text,
      url: message.location().url,
    });
  });
  page.on('pageerror', (error) => { problems.push({ kind: 'exception', text: String(error), url: page.url() }); });
  return problems;
}

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface Violation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * axe-core's serious and critical violations on the page as it is now. The script is evaluated
 * through the DevTools protocol, which the page's Content-Security-Policy does not govern (a
 * `<script>` tag would be refused, rightly).
 */
export async function seriousViolations(page: Page): Promise<Violation[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    interface AxeResult { violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<AxeResult> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => JSON.stringify(n.target)) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: `${screenshotDir}${name}.png`, fullPage: true });
}
