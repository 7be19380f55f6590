// In-page timings: both sides read the same wall clock (`performance.timeOrigin +
// performance.now()`, microsecond-grained epoch milliseconds), so a moment in one frame compares
// with a moment in another frame, another page, or a server log line on the same machine.
import type { Frame, Locator, Page } from 'playwright-core';

/** The epoch time, in milliseconds, at which `text` appears in the frame's document (within the
 *  first element matching `selector`, when given). Resolves once it appears; install it before
 *  the action that should make it appear. */
export async function whenTextAppears(frame: Frame, text: string, selector = 'body'): Promise<() => Promise<number>> {
  const key = `__appears_${Math.random().toString(36).slice(2)}`;
  await frame.evaluate(({ key, text, selector }) => {
    const w = window as unknown as Record<string, Promise<number>>;
    w[key] = new Promise<number>((resolve) => {
      const seen = () => {
        if (!document.querySelector(selector)?.textContent.includes(text)) return false;
        resolve(performance.timeOrigin + performance.now());
        return true;
      };
      if (seen()) return;
      const observer = new MutationObserver(() => { if (seen()) observer.disconnect(); });
      observer.observe(document.body, { subtree: true, childList: true, characterData: true });
    });
  }, { key, text, selector });
  return () => frame.evaluate((key) => (window as unknown as Record<string, Promise<number>>)[key] as Promise<number>, key);
}

/** Clicks `target` (in `frame`) and returns the epoch time of the click as the page saw it. */
export async function clickAt(frame: Frame, target: Locator): Promise<number> {
  await frame.evaluate(() => {
    const w = window as unknown as { __clickedAt?: number };
    delete w.__clickedAt;
    document.addEventListener('click', () => { w.__clickedAt = performance.timeOrigin + performance.now(); }, { capture: true, once: true });
  });
  await target.click();
  return frame.evaluate(() => (window as unknown as { __clickedAt?: number }).__clickedAt ?? Number.NaN);
}

/** The frame of `page` whose URL starts with `prefix` (the softphone docked in the CRM). */
export function frameAt(page: Page, prefix: string): Frame {
  const frame = page.frames().find((f) => f.url().startsWith(prefix));
  if (!frame) throw new Error(`no frame at ${prefix} in ${page.frames().map((f) => f.url()).join(', ')}`);
  return frame;
}

/** The p-th percentile (0-100) of the values, nearest rank. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}
