/**
 * Hub models in the built app, from a local Hub-layout server (tests/support/hub-server.ts):
 * `?hub=…&repo=…&revision=…` selects the tiny DiT + VAE, Generate downloads it (progress shown)
 * and makes the reference image; after a reload it comes from the browser cache with no request
 * for the weight files. A repo the Hub does not have is a clear error that leaves the settings
 * and gallery alone, and the built-in model still works afterwards.
 *
 * The tests run in order on one tab, as one visit (a fresh tab's worker compiles its GPU
 * pipelines again, seconds on SwiftShader).
 */
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRgbaPng, readPngText } from '../../src/app/png.ts';
import { TINY_REPO, tinyHubRepos } from '../support/hub-fixtures.ts';
import { startHubServer, type HubServer } from '../support/hub-server.ts';
import { maxAbsDiff, rgbOf, tinyHubReference } from './reference.ts';
import {
  canvasPixels,
  finalImageSize,
  galleryCount,
  launchBrowser,
  openStudio,
  pickClass,
  recordRun,
  samePixels,
  savedSettings,
  shot,
  waitForEngine,
  waitForFinalImage,
  waitForGallery,
  type Studio,
} from './studio.ts';

const VAE_WEIGHTS = 'vae/diffusion_pytorch_model.safetensors';

let browser: Browser;
let hub: HubServer;
let studio: Studio;

beforeAll(async () => {
  // The VAE weights answer after a delay (their probe and their body): the download stays on
  // screen long enough to be seen.
  hub = await startHubServer({ repos: tinyHubRepos(), faults: { [VAE_WEIGHTS]: { delayMs: 700, times: 2 } } });
  browser = await launchBrowser();
  studio = await openStudio(browser, `/?hub=${encodeURIComponent(hub.url)}&repo=${encodeURIComponent(TINY_REPO)}&revision=${encodeURIComponent('refs/pr/1')}`);
});
afterAll(async () => {
  await studio?.close().catch(() => undefined);
  await browser?.close();
  await hub?.close();
});

const weightRequests = (from: number) => hub.requests.slice(from).filter((r) => /\.(safetensors|bin)$/.test(r.file ?? ''));

describe('Hub model from URL parameters', () => {
  it('downloads with progress, makes the 16×16 reference image, then loads from the browser cache after a reload', async () => {
    const { page, errors } = studio;
    await waitForEngine(page);
    await page.getByText(TINY_REPO, { exact: true }).first().waitFor();
    await shot(page, '11-hub-selected-by-url');

    // Class 3 (tiger shark): the tiny model has 10 classes.
    await pickClass(page, 'tiger shark', 3);
    await page.getByText('#3', { exact: true }).waitFor();
    await page.getByTestId('steps').fill('4');
    await page.getByTestId('sampler').selectOption('ddpm');
    await page.getByTestId('seed').fill('7');
    expect(await savedSettings(page)).toMatchObject({ classId: 3, steps: 4, sampler: 'ddpm', seed: 7, cfgScale: 4 });

    const before = hub.requests.length;
    const recorder = await recordRun(page);
    await page.getByTestId('generate').click();
    await page.getByText(/^Downloading the model: /).waitFor({ timeout: 30_000 });
    await shot(page, '12-hub-downloading');
    await waitForFinalImage(page, 4);
    const samples = await recorder.stop();
    await shot(page, '13-hub-done');

    // Download progress was shown on the progress bar while the weights came in.
    const downloading = samples.filter((s) => s.progressLabel === 'Model download progress' && s.status.startsWith('Downloading the model: '));
    expect(downloading.some((s) => s.status.includes('(0%)'))).toBe(true);
    expect(downloading.some((s) => s.status.includes('(100%)') && s.progress === 1)).toBe(true);
    // After the last step the status line says the final image (the VAE decode) is being made.
    expect(samples.some((s) => s.counter === '4 / 4' && s.status === 'Denoised in 4 steps · making the final image…')).toBe(true);
    // Both weight files were fetched (safetensors at refs/pr/1), and the image is 16×16.
    const fetched = new Set(weightRequests(before).map((r) => r.file));
    expect(fetched).toEqual(new Set(['transformer/diffusion_pytorch_model.safetensors', VAE_WEIGHTS]));
    expect(await finalImageSize(page)).toEqual([16, 16]);
    const first = await canvasPixels(page, 'final-image');
    await expect(page.getByText(/downloaded this session/).count()).resolves.toBe(1);

    // The image is the reference one for these settings (as `dit generate` makes it).
    const want = await tinyHubReference({ classId: 3, steps: 4, sampler: 'ddpm', seed: 7, cfgScale: 4 });
    expect(maxAbsDiff(rgbOf(first.data), want.rgb)).toBeLessThanOrEqual(1);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download').click()]);
    const png = new Uint8Array(readFileSync(await download.path()));
    expect(readPngText(png)).toMatchObject({ class_id: '3', seed: '7', model: `${TINY_REPO}@refs/pr/1` });
    expect((await decodeRgbaPng(png)).width).toBe(16);

    // Now that the model is loaded, the class picker offers only its 10 classes.
    await page.getByTestId('class-search').fill('golden retriever');
    await page.getByText(/this model has 10 classes/i).waitFor();
    expect(await page.getByTestId('class-option').count()).toBe(0);
    await shot(page, '14-hub-class-outside-model');
    await page.getByTestId('class-search').fill('');
    const ids = await page.getByTestId('class-option').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-class-id'))));
    expect(ids).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await page.getByTestId('class-search').press('Escape');

    // Reload: the same model comes from the browser cache, with no request for the weights.
    const beforeReload = hub.requests.length;
    await page.reload();
    await waitForEngine(page);
    await page.getByTestId('generate').click();
    await waitForFinalImage(page, 4);
    await shot(page, '15-hub-after-reload-from-cache');
    expect(weightRequests(beforeReload)).toEqual([]);
    await expect(page.getByText(/loaded from the browser cache/).count()).resolves.toBe(1);
    expect(samePixels(await canvasPixels(page, 'final-image'), first)).toBe(true);
    await waitForGallery(page, 2);
    expect(errors).toEqual([]);
  });

  it('a repo the Hub does not have: a clear error, settings and gallery intact, the built-in model works again', async () => {
    // The same tab (the gallery holds the images made above), now asking for a repo that does
    // not exist.
    const { page, errors } = studio;
    const images = await galleryCount(page);
    expect(images).toBeGreaterThan(0);
    await page.getByTestId('steps').fill('2');
    await page.getByTestId('seed').fill('77');
    await page.goto(page.url().replace(/\/(\?.*)?$/, `/?hub=${encodeURIComponent(hub.url)}&repo=nobody/nothing`));
    await waitForEngine(page);
    await waitForGallery(page, images);
    const settings = await savedSettings(page);
    expect(settings).toMatchObject({ classId: 3, steps: 2, seed: 77 });
    await page.getByTestId('generate').click();
    const error = page.getByTestId('error');
    await error.waitFor({ timeout: 30_000 });
    await shot(page, '16-hub-repo-not-found');
    const message = (await error.textContent()) ?? '';
    expect(message).toContain('nobody/nothing');
    expect(message).toMatch(/not found/i);
    expect(await page.getByTestId('generate').isEnabled()).toBe(true);

    // Settings and gallery are untouched.
    expect(await savedSettings(page)).toEqual(settings);
    expect(await page.getByTestId('steps').inputValue()).toBe('2');
    expect(await page.getByTestId('seed').inputValue()).toBe('77');
    await page.getByText('#3', { exact: true }).waitFor();
    expect(await galleryCount(page)).toBe(images);

    // Back to the built-in model: it generates again and the error goes away.
    await page.getByLabel('Weights').selectOption('builtin');
    await pickClass(page, 'banana', 954);
    await page.getByTestId('generate').click();
    await waitForFinalImage(page, 2);
    expect(await page.getByTestId('error').count()).toBe(0);
    expect(await finalImageSize(page)).toEqual([32, 32]);
    await waitForGallery(page, images + 1);
    await shot(page, '17-builtin-after-hub-error');
    expect(errors.filter((e) => !/Failed to load resource: the server responded with a status of 401/.test(e))).toEqual([]);
  });
});
