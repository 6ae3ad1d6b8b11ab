/**
 * The studio compiles the built-in model's GPU kernels right after it loads, before the first
 * Generate (src/engine/kernel-prep.ts), and says so: "Preparing GPU kernels (n/m)…" in the model
 * panel, counting up, then gone; the first Generate then has nothing left to compile.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openStudio, shot, waitForEngine, waitForFinalImage, type Studio } from './studio.ts';

let browser: Browser;
let studio: Studio;

beforeAll(async () => {
  browser = await launchBrowser();
  // Every text the kernel status shows, from the first render on (it may last under a second).
  studio = await openStudio(browser, '/', () => {
    const seen: string[] = [];
    Object.assign(window, { __kernelStatus: seen });
    new MutationObserver(() => {
      const t = document.querySelector('[data-testid="kernel-status"]')?.textContent ?? '';
      if (t !== (seen[seen.length - 1] ?? '')) seen.push(t);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
});
afterAll(async () => {
  await studio?.close().catch(() => undefined);
  await browser?.close();
});

const statuses = (s: Studio) => s.page.evaluate(() => (window as unknown as { __kernelStatus: string[] }).__kernelStatus);

describe('kernels prepared at start-up', () => {
  it('shows "Preparing GPU kernels (n/m)" until they are compiled; the first Generate has none left to compile', async () => {
    const { page, errors } = studio;
    await waitForEngine(page);
    await page.waitForFunction(() => (window as unknown as { __kernelStatus: string[] }).__kernelStatus.length > 0, undefined, { timeout: 60_000 });
    await shot(page, 'kernel-status-01-preparing').catch(() => undefined);
    await page.waitForFunction(() => !document.querySelector('[data-testid="kernel-status"]'), undefined, { timeout: 120_000 });
    const seen = (await statuses(studio)).filter(Boolean);
    const m = seen.map((t) => /^Preparing GPU kernels \((\d+)\/(\d+)\)…$/.exec(t));
    expect(m.every(Boolean), seen.join(' | ')).toBe(true);
    expect(Number(m[0]![1])).toBe(0);
    const total = Number(m[0]![2]);
    expect(total).toBeGreaterThan(5);
    expect(m.every((x) => Number(x![2]) === total)).toBe(true);
    const done = m.map((x) => Number(x![1]));
    expect(done).toEqual([...done].sort((a, b) => a - b));

    await page.getByTestId('steps').fill('4');
    await page.getByTestId('generate').click();
    await waitForFinalImage(page, 4);
    await shot(page, 'kernel-status-02-generated');
    // Nothing was left to compile for this run: the status did not come back.
    expect((await statuses(studio)).filter(Boolean)).toEqual(seen);
    expect(errors).toEqual([]);
  });
});
