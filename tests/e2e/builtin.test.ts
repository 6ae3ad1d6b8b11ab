/**
 * The built app on the real engine (headless Chromium, SwiftShader WebGPU) with the built-in
 * model, offline: search and pick a class, set steps, sampler, guidance and seed, Generate and
 * watch every step, scrub back, download the PNG (its text chunks and pixels), the gallery; then
 * cancel a long run and generate again.
 *
 * The tests run in order on one tab, as one visit (`studioForFile`).
 */
import { readFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeRgbaPng, readPngText } from '../../src/app/png.ts';
import { builtinReference, maxAbsDiff, rgbOf } from './reference.ts';
import {
  ARTIFACTS,
  canvasPixels,
  finalImageSize,
  galleryCount,
  pixelHash,
  recordRun,
  samePixels,
  savedSettings,
  shot,
  studioForFile,
  text,
  waitForEngine,
  waitForFinalImage,
  waitForGallery,
} from './studio.ts';

const shared = studioForFile('/');

/** "k / N" → k. */
function stepOf(counter: string, total: number): number {
  const m = /^(\d+) \/ (\d+)$/.exec(counter);
  if (!m || Number(m[2]) !== total) return -1;
  return Number(m[1]);
}

describe('built-in model', () => {
  it('banana, DDIM 8 steps: live steps, a 32×32 image, scrubber, PNG download with its settings, gallery', async () => {
    const { page, errors } = shared.studio;
    await waitForEngine(page);
    await shot(page, '01-builtin-ready');
    expect(await galleryCount(page)).toBe(0);

    // Search "banana" and pick it with the keyboard (the first option is active; Enter picks it).
    const search = page.getByTestId('class-search');
    await search.fill('banana');
    const option = page.locator('[data-testid="class-option"][data-class-id="954"]');
    await option.waitFor();
    await shot(page, '02-builtin-search-banana');
    await search.press('Enter');
    await option.waitFor({ state: 'detached' });
    await page.getByText('#954', { exact: true }).waitFor();

    await page.getByTestId('steps').fill('8');
    await page.getByTestId('sampler').selectOption('ddim');
    await page.getByTestId('guidance-slider').fill('3');
    await page.getByTestId('seed').fill('1234');
    expect(await savedSettings(page)).toMatchObject({ classId: 954, steps: 8, sampler: 'ddim', cfgScale: 3, seed: 1234 });
    expect(await text(page, 'step-counter')).toBe('0 / 8');

    // The reference image, computed in Node while the browser works.
    const want = builtinReference({ classId: 954, steps: 8, sampler: 'ddim', seed: 1234, cfgScale: 3 });
    const recorder = await recordRun(page);
    await page.getByTestId('generate').click();
    await page.waitForFunction(() => /^[3-7] \/ 8$/.test(document.querySelector('[data-testid="step-counter"]')?.textContent?.trim() ?? ''), undefined, { timeout: 90_000, polling: 20 });
    await shot(page, '03-builtin-denoising');
    await waitForFinalImage(page, 8);
    const samples = await recorder.stop();
    await shot(page, '04-builtin-done');

    // The counter went up one step at a time through k / 8 to 8 / 8 (the in-page recorder polls
    // every 5 ms; a step takes far longer on SwiftShader, so every step is seen).
    const steps = samples.map((s) => stepOf(s.counter, 8)).filter((k) => k >= 1);
    const seen = [...new Set(steps)];
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(8);
    expect(seen.length).toBeGreaterThanOrEqual(6);
    // The preview canvas changed from step to step: the last preview shown at each step.
    const previewAt = new Map<number, string>();
    for (const s of samples) {
      const k = stepOf(s.counter, 8);
      if (k >= 1 && k < 8 && s.preview) previewAt.set(k, s.preview);
    }
    const previews = [...previewAt.entries()].sort((a, b) => a[0] - b[0]);
    expect(previews.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < previews.length; i++) expect(previews[i][1], `preview at step ${previews[i][0]} vs ${previews[i - 1][0]}`).not.toBe(previews[i - 1][1]);
    expect(previews[0][1].startsWith('32x32:')).toBe(true);

    // The final image has the model's size, 32×32, and the progress bar is full.
    expect(await finalImageSize(page)).toEqual([32, 32]);
    expect(await page.getByTestId('progress').evaluate((p) => (p as HTMLProgressElement).value)).toBe(1);
    const final = await canvasPixels(page, 'final-image');

    // The scrubber replays an earlier step: the preview comes back in place of the final image.
    const scrubber = page.getByTestId('step-scrubber');
    expect(await scrubber.isEnabled()).toBe(true);
    await scrubber.fill('2');
    await page.getByTestId('step-preview').waitFor({ state: 'visible' });
    expect(await page.getByTestId('final-image').isHidden()).toBe(true);
    const step2 = await canvasPixels(page, 'step-preview');
    await shot(page, '05-builtin-scrubbed-to-step-2');
    await scrubber.fill('6');
    const step6 = await canvasPixels(page, 'step-preview');
    expect(samePixels(step2, step6)).toBe(false);
    expect(samePixels(step2, final)).toBe(false);
    // Step 2 replayed is the preview that was shown live at step 2.
    if (previewAt.has(2)) expect(pixelHash(step2)).toBe(previewAt.get(2));
    await scrubber.fill('8');
    await page.getByTestId('final-image').waitFor({ state: 'visible' });

    // Download: a PNG of the final image whose text chunks carry the settings.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download').click()]);
    expect(download.suggestedFilename()).toMatch(/^dit-954-banana-.*seed1234\.png$/);
    const path = await download.path();
    mkdirSync(ARTIFACTS, { recursive: true });
    copyFileSync(path, join(ARTIFACTS, '06-builtin-download.png'));
    const png = new Uint8Array(readFileSync(path));
    const meta = readPngText(png);
    expect(meta).toMatchObject({ class_id: '954', seed: '1234', steps: '8', sampler: 'ddim', cfg_scale: '3' });
    const image = await decodeRgbaPng(png);
    expect([image.width, image.height]).toEqual([32, 32]);
    expect(Array.from(image.rgba)).toEqual(final.data);
    // …and it is the image the reference code makes for these settings.
    expect(maxAbsDiff(rgbOf(image.rgba), (await want).rgb)).toBeLessThanOrEqual(1);

    // The gallery gains the image.
    await waitForGallery(page, 1);
    await expect(page.getByTestId('gallery').getByRole('button', { name: /^Restore settings: banana \(#954\), guidance 3\.0, 8 ddim steps, seed 1234/i }).count()).resolves.toBe(1);
    await shot(page, '07-builtin-gallery');
    expect(errors).toEqual([]);
  });

  it('Cancel stops a 60-step run; the UI is usable again and a short run works', async () => {
    const { page, errors } = shared.studio;
    await waitForEngine(page);
    const gallery = await galleryCount(page);
    await page.getByTestId('steps').fill('60');
    await page.getByTestId('generate').click();
    await page.waitForFunction(() => /^([3-9]|\d\d) \/ 60$/.test(document.querySelector('[data-testid="step-counter"]')?.textContent?.trim() ?? ''), undefined, { timeout: 90_000, polling: 20 });
    await shot(page, '08-cancel-running');
    const workers = page.workers();
    expect(workers).toHaveLength(1);
    await page.getByTestId('cancel').click();

    // Back to a usable state: no error, Generate enabled, Cancel disabled, a "Cancelled." note.
    await page.getByText('Cancelled.', { exact: true }).waitFor();
    expect(await page.getByTestId('generate').isEnabled()).toBe(true);
    expect(await page.getByTestId('cancel').isDisabled()).toBe(true);
    expect(await page.getByTestId('error').count()).toBe(0);
    const stoppedAt = stepOf(await text(page, 'step-counter'), 60);
    expect(stoppedAt).toBeGreaterThanOrEqual(3);
    expect(stoppedAt).toBeLessThan(60);
    // The run really stopped: no further steps arrive.
    await page.waitForTimeout(1000);
    expect(stepOf(await text(page, 'step-counter'), 60)).toBe(stoppedAt);
    expect(await page.getByTestId('final-image').isVisible()).toBe(false);
    expect(await galleryCount(page)).toBe(gallery);
    await shot(page, '09-cancelled');

    // A following short run works.
    await page.getByTestId('steps').fill('3');
    await page.getByTestId('generate').click();
    await waitForFinalImage(page, 3);
    expect(await finalImageSize(page)).toEqual([32, 32]);
    expect(await page.getByTestId('error').count()).toBe(0);
    await waitForGallery(page, gallery + 1);
    // …on the same engine worker: the engine stopped the cancelled run (had it kept going, the
    // app would have given up waiting for it and started a new worker).
    expect(page.workers()).toHaveLength(1);
    expect(page.workers()[0] === workers[0], 'the engine worker was replaced').toBe(true);
    await shot(page, '10-after-cancel-done');
    expect(errors).toEqual([]);
  });
});
