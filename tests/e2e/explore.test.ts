/**
 * Exploring the built-in model in the built app, on the real engine (headless Chromium,
 * SwiftShader WebGPU): a guidance sweep (cells animate their steps; the slider then flips through
 * the scales at once), a seed grid (a clicked cell's seed goes into the seed field), a blend strip
 * (lion → tiger, the same noise), the x̂₀ / x_t / ε switch over the steps, and a shared link that,
 * opened in a fresh browser context, makes the same picture bit for bit (and is the link in the
 * downloaded PNG). Few steps, to stay quick on SwiftShader.
 *
 * The tests run in order on one tab, as one visit (`studioForFile`).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { decodeRgbaPng, readPngText } from '../../src/app/png.ts';
import { maxAbsDiff } from './reference.ts';
import {
  ARTIFACTS,
  canvasPixels,
  openStudio,
  pickClass,
  pixelHash,
  samePixels,
  savedSettings,
  shot,
  studioForFile,
  text,
  waitForEngine,
  waitForFinalImage,
  type Pixels,
} from './studio.ts';

/** DPM-Solver++ makes a fair picture in few steps (DDIM's are still blurry at 6). */
const STEPS = 6;
/** A test's limit: the first run compiles the GPU pipelines, and the machine may be shared (2 cores). */
const TIMEOUT = 300_000;
/** How long a run may take to finish. */
const WAIT = 240_000;
const SAMPLER = 'dpm++';
const LION = 291;
const TIGER = 292;

const shared = studioForFile('/');
/** The sweep's lion at guidance 4 (seed 3), for the blend strip's w = 0. */
let lionAt4: Pixels | null = null;

/** The stage panel alone (the picture, its cells, the view switch, Share): the README's screenshots. */
async function stageShot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.locator('section.stage').screenshot({ path: join(ARTIFACTS, `${name}.png`), animations: 'disabled' });
}

/** Moves the guidance slider without releasing it (an `input` event, no `change`), as a drag does. */
async function dragGuidance(page: Page, value: number): Promise<void> {
  await page.getByTestId('guidance-slider').evaluate((el, v) => {
    const input = el as HTMLInputElement;
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(input, String(v));
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, value);
}

/** The cells' labels, and which one is the current picture. */
async function cells(page: Page): Promise<{ labels: string[]; selected: number }> {
  return page.getByTestId('batch-cells').evaluate((el) => {
    const buttons = [...el.querySelectorAll('button')];
    return { labels: buttons.map((b) => b.querySelector('.cell-label')?.textContent ?? ''), selected: buttons.findIndex((b) => b.getAttribute('aria-pressed') === 'true') };
  });
}

/**
 * Records, in the page, each cell canvas' pixel hash at every step of the run (polled every 5 ms;
 * a step takes far longer on SwiftShader). `stop()` returns, per cell, the distinct hashes seen
 * while the run was in progress.
 */
async function recordCells(page: Page): Promise<{ stop(): Promise<string[][]> }> {
  await page.evaluate(() => {
    const seen: Set<string>[] = [];
    const timer = window.setInterval(() => {
      const counter = document.querySelector('[data-testid="step-counter"]')?.textContent?.trim() ?? '';
      const m = /^(\d+) \/ (\d+)$/.exec(counter);
      if (!m || m[1] === '0' || m[1] === m[2]) return; // only while denoising
      document.querySelectorAll<HTMLCanvasElement>('[data-testid^="batch-cell-image-"]').forEach((c, i) => {
        if (c.hidden) return;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let h = 0x811c9dc5;
        for (let k = 0; k < d.length; k++) h = Math.imul(h ^ d[k], 0x01000193);
        (seen[i] ??= new Set()).add(`${counter}:${h >>> 0}`);
      });
    }, 5);
    (window as unknown as { __cells: unknown }).__cells = { seen, timer };
  });
  return {
    stop: () =>
      page.evaluate(() => {
        const w = window as unknown as { __cells: { seen: Set<string>[]; timer: number } };
        clearInterval(w.__cells.timer);
        return w.__cells.seen.map((s) => [...new Set([...s].map((x) => x.split(':')[1]))]);
      }),
  };
}

async function cellPixels(page: Page, i: number): Promise<Pixels> {
  return canvasPixels(page, `batch-cell-image-${i}`);
}

describe('explore the built-in model', () => {
  it('guidance sweep: 1, 2, 4, 8 in one run, side by side, each cell animating; the slider then shows the nearest scale at once', async () => {
    const { page, errors } = shared.studio;
    await waitForEngine(page);
    await pickClass(page, 'lion', LION);
    await page.getByTestId('steps').fill(String(STEPS));
    await page.getByTestId('sampler').selectOption(SAMPLER);
    await page.getByTestId('seed').fill('3');
    await page.getByTestId('mode-sweep').check();
    expect(await page.getByTestId('sweep-scales').inputValue()).toBe('1, 2, 4, 8');

    const recorder = await recordCells(page);
    await page.getByTestId('generate').click();
    await page.getByTestId('batch-cells').waitFor();
    await waitForFinalImage(page, STEPS, WAIT);
    const seen = await recorder.stop();
    await shot(page, 'explore-01-sweep');
    await stageShot(page, 'explore-01-sweep-stage');

    expect(await cells(page)).toEqual({ labels: ['guidance 1', 'guidance 2', 'guidance 4', 'guidance 8'], selected: 2 });
    // Every cell changed from step to step while the run went on.
    expect(seen).toHaveLength(4);
    for (const [i, hashes] of seen.entries()) expect(hashes.length, `cell ${i}: distinct frames while denoising`).toBeGreaterThanOrEqual(2);
    // Four different pictures, each 32×32; the large one is the current cell (guidance 4).
    const px = await Promise.all([0, 1, 2, 3].map((i) => cellPixels(page, i)));
    expect(px.map((p) => [p.width, p.height])).toEqual(Array(4).fill([32, 32]));
    expect(new Set(px.map(pixelHash)).size).toBe(4);
    expect(samePixels(await canvasPixels(page, 'final-image'), px[2])).toBe(true);
    expect(await text(page, 'caption')).toContain('guidance 4.0');
    lionAt4 = px[2];

    // Dragging the slider shows the nearest computed scale at once, with no run.
    await dragGuidance(page, 1.3);
    expect((await cells(page)).selected).toBe(0);
    expect(samePixels(await canvasPixels(page, 'final-image'), px[0])).toBe(true);
    await dragGuidance(page, 6.5);
    expect(samePixels(await canvasPixels(page, 'final-image'), px[3])).toBe(true);
    await stageShot(page, 'explore-01b-sweep-slider-at-8');
    // Released on a scale the sweep made (the native change event ends a drag): still no run.
    await page.getByTestId('guidance-slider').fill('2');
    expect((await cells(page)).selected).toBe(1);
    expect(await page.getByTestId('cancel').isDisabled()).toBe(true);
    expect(await text(page, 'step-counter')).toBe(`${STEPS} / ${STEPS}`);
    // Released on a new value: that one picture is made, as before sweeps.
    await page.getByTestId('guidance-slider').fill('3');
    await page.getByTestId('batch-cells').waitFor({ state: 'detached' });
    await waitForFinalImage(page, STEPS, WAIT);
    expect(await text(page, 'caption')).toContain('guidance 3.0');
    const single = await canvasPixels(page, 'final-image');
    expect(px.some((p) => samePixels(p, single))).toBe(false);
    expect(errors).toEqual([]);
  }, TIMEOUT);

  it('seed grid: nine seeds in one run; clicking a cell makes it the current picture and sets the seed', async () => {
    const { page, errors } = shared.studio;
    await dragGuidance(page, 4); // the setting only: no picture at 4 is made
    await page.getByTestId('seed').fill('10');
    await page.getByTestId('mode-grid').check();
    await page.getByTestId('grid-size').selectOption('9');
    await page.getByTestId('generate').click();
    await page.getByTestId('batch-cells').waitFor();
    await waitForFinalImage(page, STEPS, WAIT);

    const grid = await cells(page);
    expect(grid).toEqual({ labels: [10, 11, 12, 13, 14, 15, 16, 17, 18].map((s) => `seed ${s}`), selected: 0 });
    const px = await Promise.all(grid.labels.map((_, i) => cellPixels(page, i)));
    expect(new Set(px.map(pixelHash)).size).toBe(9);

    await page.getByTestId('batch-cell-5').click();
    expect(await page.getByTestId('seed').inputValue()).toBe('15');
    expect((await savedSettings(page)).seed).toBe(15);
    expect((await cells(page)).selected).toBe(5);
    expect(samePixels(await canvasPixels(page, 'final-image'), px[5])).toBe(true);
    expect(await text(page, 'caption')).toContain('seed 15');
    await shot(page, 'explore-02-seed-grid');
    await stageShot(page, 'explore-02-seed-grid-stage');
    expect(errors).toEqual([]);
  }, TIMEOUT);

  it('blend strip: lion → tiger in five weights, one run, the same noise; w = 0 is the lion of the sweep', async () => {
    const { page, errors } = shared.studio;
    // Seed 3 and guidance 4: the sweep's lion is the strip's w = 0.
    await page.getByTestId('seed').fill('3');
    await page.getByTestId('blend-class-search').fill('tiger');
    await page.locator(`[data-testid="blend-class-option"][data-class-id="${TIGER}"]`).click();
    expect(await text(page, 'blend-current')).toMatch(/tiger/i);
    await page.getByTestId('mode-strip').check();
    await page.getByTestId('strip-count').selectOption('5');
    await page.getByTestId('generate').click();
    await page.getByTestId('batch-cells').waitFor();
    await waitForFinalImage(page, STEPS, WAIT);

    const strip = await cells(page);
    expect(strip).toEqual({ labels: ['w 0.00', 'w 0.25', 'w 0.50', 'w 0.75', 'w 1.00'], selected: 2 });
    const px = await Promise.all(strip.labels.map((_, i) => cellPixels(page, i)));
    expect(new Set(px.map(pixelHash)).size).toBe(5);
    expect(await text(page, 'caption')).toMatch(/lion.*→ tiger · w 0\.50/);
    await shot(page, 'explore-03-blend-strip');
    await stageShot(page, 'explore-03-blend-strip-stage');

    // w = 0 is the plain lion: the sweep's guidance-4 cell of the same seed, within ±1 (another batch).
    expect(lionAt4).not.toBeNull();
    expect(maxAbsDiff(lionAt4!.data, px[0].data)).toBeLessThanOrEqual(1);
    expect(maxAbsDiff(lionAt4!.data, px[4].data)).toBeGreaterThan(1);
    expect(errors).toEqual([]);
  }, TIMEOUT);

  it('the x̂₀ / x_t / ε switch: each view at every step, for the large picture and the cells', async () => {
    const { page, errors } = shared.studio;
    const scrubber = page.getByTestId('step-scrubber');
    await scrubber.fill('2');
    await page.getByTestId('step-preview').waitFor({ state: 'visible' });
    const views: Record<string, Pixels> = {};
    const cellViews: Record<string, Pixels> = {};
    for (const view of ['x0', 'xt', 'eps'] as const) {
      await page.getByTestId(`view-${view}`).check();
      expect(await page.getByTestId('step-preview').getAttribute('aria-label')).toMatch(/, step 2$/);
      views[view] = await canvasPixels(page, 'step-preview');
      cellViews[view] = await cellPixels(page, 0);
      await stageShot(page, `explore-04-view-${view}`);
    }
    expect(new Set(Object.values(views).map(pixelHash)).size).toBe(3);
    expect(new Set(Object.values(cellViews).map(pixelHash)).size).toBe(3);
    // The scrubber moves through the steps in any view.
    await scrubber.fill('4');
    const eps4 = await canvasPixels(page, 'step-preview');
    expect(samePixels(eps4, views.eps)).toBe(false);
    // At the end: ε stays a step view; x̂₀ shows the final image as before.
    await scrubber.fill(String(STEPS));
    expect(await page.getByTestId('final-image').isHidden()).toBe(true);
    await shot(page, 'explore-04-views');
    await page.getByTestId('view-x0').check();
    await page.getByTestId('final-image').waitFor({ state: 'visible' });
    expect(errors).toEqual([]);
  }, TIMEOUT);

  it('Share: the link (also in the PNG) opened in a fresh browser context makes the same picture, bit for bit', async () => {
    const { page, errors } = shared.studio;
    await page.getByTestId('mode-single').check();
    await page.getByTestId('blend-class-search').fill('tiger');
    await page.locator(`[data-testid="blend-class-option"][data-class-id="${TIGER}"]`).click();
    await page.getByTestId('blend-weight').fill('0.35');
    await page.getByTestId('guidance-slider').fill('3.5');
    await page.getByTestId('seed').fill('4242');
    await page.getByTestId('sampler').selectOption('ddpm'); // another sampler: DDPM draws fresh noise every step, from the seed too
    await page.getByTestId('steps').fill(String(STEPS));
    await page.getByTestId('generate').click();
    await waitForFinalImage(page, STEPS, WAIT);
    const original = await canvasPixels(page, 'final-image');

    await page.getByTestId('share').click();
    const link = await page.getByTestId('share-link').inputValue();
    const url = new URL(link);
    expect(Object.fromEntries(url.searchParams)).toEqual({ model: 'builtin', class: String(LION), blend: String(TIGER), w: '0.35', seed: '4242', cfg: '3.5', steps: String(STEPS), sampler: 'ddpm' });
    await stageShot(page, 'explore-05-share');

    // The downloaded PNG carries the same link, and the same pixels.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download').click()]);
    const png = new Uint8Array(readFileSync(await download.path()));
    expect(readPngText(png)['dit:link']).toBe(link);
    expect(Array.from((await decodeRgbaPng(png)).rgba)).toEqual(original.data);

    // A fresh context (its own storage: none of the settings above) opens the link and generates.
    const other = await openStudio(shared.browser, `${url.pathname}${url.search}`);
    try {
      await waitForEngine(other.page);
      expect(await other.page.getByTestId('seed').inputValue()).toBe('4242');
      expect(await text(other.page, 'blend-current')).toMatch(/tiger/i);
      await other.page.getByTestId('generate').click();
      await waitForFinalImage(other.page, STEPS, WAIT);
      expect(await savedSettings(other.page)).toMatchObject({ classId: LION, blendClassId: TIGER, blendWeight: 0.35, cfgScale: 3.5, seed: 4242, steps: STEPS, sampler: 'ddpm' });
      const again = await canvasPixels(other.page, 'final-image');
      expect(again.width).toBe(32);
      expect(maxAbsDiff(again.data, original.data), 'largest difference per channel').toBe(0);
      await shot(other.page, 'explore-05-shared-link-opened');
      expect(other.errors).toEqual([]);
    } finally {
      await other.close();
    }
    expect(errors).toEqual([]);
  }, TIMEOUT);
});
