/**
 * Browsers where WebGPU does not work: Chromium without --enable-unsafe-webgpu (on Linux,
 * `navigator.gpu` exists but `requestAdapter()` resolves to null), and a browser with no
 * `navigator.gpu` at all. The app shows the no-WebGPU panel with the reason and what to do,
 * and nothing else breaks.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openStudio, shot, type Studio } from './studio.ts';

let browser: Browser;
const open: Studio[] = [];

beforeAll(async () => {
  browser = await launchBrowser({ webgpu: false });
});
afterAll(async () => {
  for (const s of open) await s.close().catch(() => undefined);
  await browser?.close();
});

async function expectNoWebGpuPanel(page: Page, reason: RegExp): Promise<void> {
  const panel = page.getByTestId('no-webgpu');
  await panel.waitFor({ timeout: 60_000 });
  expect(await page.getByTestId('no-webgpu').count()).toBe(1);
  await panel.getByRole('heading', { name: /WebGPU is not available/ }).waitFor();
  expect(await panel.textContent()).toMatch(reason);
  // What to do: supported browsers and the Linux flag, a retry, and the demo without a GPU.
  expect(await panel.getByRole('listitem').count()).toBeGreaterThanOrEqual(3);
  expect(await panel.textContent()).toContain('enable-unsafe-webgpu');
  await panel.getByRole('button', { name: 'Try again' }).waitFor();
  expect(await panel.getByRole('link', { name: /demo without a GPU/ }).getAttribute('href')).toContain('engine=fake');
  // The rest of the page is intact: header, badge, gallery; no studio controls to fail on.
  await page.getByRole('heading', { name: 'DiT Studio', level: 1 }).waitFor();
  await page.getByText('No WebGPU', { exact: true }).waitFor();
  expect(await page.getByTestId('gallery').count()).toBe(1);
  expect(await page.getByTestId('generate').count()).toBe(0);
  expect(await page.getByTestId('error').count()).toBe(0);
}

describe('no WebGPU', () => {
  it('Chromium without WebGPU enabled (no adapter): the no-webgpu panel says why and what to do', async () => {
    const s = await openStudio(browser, '/');
    open.push(s);
    await expectNoWebGpuPanel(s.page, /no GPU adapter was found/);
    await shot(s.page, '18-no-webgpu-no-adapter');
    expect(s.errors).toEqual([]);
  });

  it('a browser without navigator.gpu: the same panel, naming the missing API', async () => {
    const s = await openStudio(browser, '/', () => {
      Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
    });
    open.push(s);
    await expectNoWebGpuPanel(s.page, /navigator\.gpu is missing/);
    await shot(s.page, '19-no-webgpu-no-navigator-gpu');
    expect(s.errors).toEqual([]);
  });
});
