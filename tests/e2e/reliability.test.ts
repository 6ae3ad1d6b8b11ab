/**
 * Reliability of the built app on the real engine (headless Chromium, SwiftShader WebGPU):
 *
 * - GPU device lost mid-run: the worker's test hook destroys the device during a generation; the
 *   app says so, and the next Generate makes a fresh engine (a new worker) and an image.
 * - GPU device lost while idle: the app says so at once, without a click, and starts a fresh
 *   engine; Generate then makes an image on it.
 * - Soak: 100 one-step generations in a row on the built-in model on that recovered engine; the
 *   engine's GPU bytes and the JS heaps of the page and the worker (after a full GC) stay flat.
 * - Storage quota too small for a Hub model (DevTools' Storage.overrideQuotaForOrigin): loading
 *   says the model could not be cached, every weight byte is downloaded once, and it generates.
 *
 * Figures (soak time, heaps, GPU bytes, storage used) are printed and saved in
 * test-artifacts/e2e/reliability.json (RELIABILITY.md quotes them).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TINY_REPO, tinyHubRepos } from '../support/hub-fixtures.ts';
import { startHubServer, type HubServer } from '../support/hub-server.ts';
import { fixture } from '../support/fixtures.ts';
import { loseDevice, MemoryProbe, type MemorySample } from './memory.ts';
import { maxAbsDiff, rgbOf, tinyHubReference } from './reference.ts';
import {
  ARTIFACTS,
  canvasPixels,
  finalImageSize,
  galleryCount,
  openStudio,
  pickClass,
  shot,
  studioForFile,
  waitForEngine,
  waitForFinalImage,
  waitForGallery,
  type Studio,
} from './studio.ts';

const shared = studioForFile('/');
const figures: Record<string, unknown> = {};

afterAll(() => {
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, 'reliability.json'), `${JSON.stringify(figures, null, 2)}\n`);
});

/**
 * One generation with the current settings, driven in the page (a Playwright click and poll cost
 * a few hundred ms each on a loaded machine): clicks Generate and waits for the newest gallery item
 * to be a new one (items are keyed by id: a new image is a new element at the top).
 */
async function generateOnce(page: Studio['page']): Promise<void> {
  await page.evaluate(async () => {
    const newest = () => document.querySelector('[data-testid="gallery"] li');
    const before = newest();
    (document.querySelector('[data-testid="generate"]') as HTMLButtonElement).click();
    const t0 = performance.now();
    for (;;) {
      const err = document.querySelector('[data-testid="error"]');
      if (err) throw new Error(`the page shows an error: ${err.textContent}`);
      const now = newest();
      if (now && now !== before) return;
      if (performance.now() - t0 > 60_000) throw new Error('no new gallery image within 60 s');
      await new Promise((r) => setTimeout(r, 5));
    }
  });
}

const MiB = 1024 * 1024;

/**
 * After a device loss: a 2-step Generate makes the built-in model's 32×32 image with no error, on
 * one engine worker that replaced `lostWorker` (a new device).
 */
async function generatesOnNewWorker(page: Studio['page'], lostWorker: Worker | undefined): Promise<void> {
  await page.getByTestId('steps').fill('2');
  await page.getByTestId('generate').click();
  await waitForFinalImage(page, 2, 120_000);
  expect(await finalImageSize(page)).toEqual([32, 32]);
  expect(await page.getByTestId('error').count()).toBe(0);
  expect(page.workers()).toHaveLength(1);
  expect(page.workers()[0] === lostWorker, 'the engine worker was not replaced').toBe(false);
}

/** Errors other than the lost device's own complaints (Chromium reports the destroyed device's aborted work). */
const notAboutTheLostDevice = (errors: string[]) => errors.filter((e) => !/destroyed|device (was )?lost/i.test(e));

describe('GPU device lost mid-run', () => {
  it('says so, and the next Generate starts a fresh engine and makes an image', async () => {
    const { page, errors } = shared.studio;
    await waitForEngine(page);
    await page.getByTestId('steps').fill('40');
    await page.getByTestId('generate').click();
    await page.waitForFunction(() => /^([2-9]|\d\d) \/ 40$/.test(document.querySelector('[data-testid="step-counter"]')?.textContent?.trim() ?? ''), undefined, { timeout: 90_000, polling: 20 });
    const [lostWorker] = page.workers();
    await loseDevice(page);

    const error = page.getByTestId('error');
    await error.waitFor({ timeout: 30_000 });
    await shot(page, '20-device-lost');
    const message = (await error.textContent()) ?? '';
    expect(message).toMatch(/GPU device was lost/i);
    expect(message).toMatch(/Press Generate/);
    expect(await page.locator('.run-controls [role="status"]').textContent()).toBe('Stopped by an error.');
    expect(await page.getByTestId('generate').isEnabled()).toBe(true);
    expect(await page.getByTestId('steps').inputValue()).toBe('40'); // settings kept

    await generatesOnNewWorker(page, lostWorker);
    await waitForGallery(page, 1);
    await shot(page, '21-after-device-lost');
    expect(notAboutTheLostDevice(errors)).toEqual([]);
  });
});

describe('GPU device lost while idle', () => {
  it('says so at once, without a click, and starts a fresh engine; Generate then makes an image', async () => {
    const { page, errors } = shared.studio;
    await waitForEngine(page);
    await page.locator('.model-status').getByText('bundled with the app').waitFor({ timeout: 60_000 });
    const gallery = await galleryCount(page);
    const [idleWorker] = page.workers();
    await loseDevice(page);

    // No click: the worker reports the loss as it happens.
    const error = page.getByTestId('error');
    await error.waitFor({ timeout: 30_000 });
    expect((await error.textContent()) ?? '').toMatch(/GPU device was lost/i);
    await shot(page, '21a-device-lost-idle');
    // …and a new engine worker, on a new device, is started and loads the built-in model.
    await expect.poll(() => page.workers().length === 1 && page.workers()[0] !== idleWorker, { timeout: 60_000 }).toBe(true);
    await waitForEngine(page);
    await page.locator('.model-status').getByText('bundled with the app').waitFor({ timeout: 60_000 });

    await generatesOnNewWorker(page, idleWorker);
    await waitForGallery(page, gallery + 1);
    await shot(page, '21b-after-device-lost-idle');
    expect(notAboutTheLostDevice(errors)).toEqual([]);
  });
});

describe('soak', () => {
  it('100 one-step generations: GPU bytes and JS heaps stay flat', async () => {
    const { context, page } = shared.studio;
    const probe = await MemoryProbe.attach(context, page);
    try {
      await page.getByTestId('steps').fill('1');
      const N = 100;
      const samples = new Map<number, MemorySample>();
      const t0 = performance.now();
      let measuring = 0;
      for (let i = 1; i <= N; i++) {
        await generateOnce(page);
        if (i === 1 || i % 10 === 0 || i > N - 20) {
          const m0 = performance.now();
          samples.set(i, await probe.sample());
          measuring += performance.now() - m0;
        }
        if (i % 20 === 0) console.log(`soak: ${i} generations, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      }
      const seconds = (performance.now() - t0) / 1000;
      await shot(page, '22-soak-done');
      expect(await galleryCount(page)).toBeGreaterThan(0);

      const at10 = samples.get(10)!;
      const last = [...samples.entries()].filter(([i]) => i > N - 20).map(([, s]) => s);
      const table = [...samples.entries()].map(([i, s]) => ({ i, pageHeapMiB: +(s.pageHeap / MiB).toFixed(2), workerHeapMiB: +(s.workerHeap / MiB).toFixed(2), gpuLiveMiB: +(s.gpuLive / MiB).toFixed(2) }));
      figures.soak = { generations: N, steps: 1, seconds: +seconds.toFixed(1), measuringSeconds: +(measuring / 1000).toFixed(1), samples: table, gpuPeakBytes: Math.max(...last.map((s) => s.gpuPeak)) };
      console.log(`soak: ${N} generations in ${seconds.toFixed(1)} s (${(measuring / 1000).toFixed(1)} s of it measuring memory)`);
      console.table(table);

      // GPU: the engine holds the same buffers after every run (nothing per run is kept).
      for (const s of last) expect(s.gpuLive, 'GPU bytes grew').toBe(at10.gpuLive);
      // JS heaps after a full GC: within 10 % + 1 MiB of generation 10's (room for the gallery
      // filling up to its 60 images, about 1 MiB in all)…
      for (const s of last) {
        expect(s.pageHeap, 'page heap grew').toBeLessThan(at10.pageHeap * 1.1 + MiB);
        expect(s.workerHeap, 'worker heap grew').toBeLessThan(at10.workerHeap * 1.1 + MiB);
      }
      // …and no rise across the last 20, once the gallery is full: a leak of 13 KiB per run (three
      // 32×32 frames) would show.
      expect(last.at(-1)!.pageHeap - last[0].pageHeap, 'page heap trend').toBeLessThan(MiB / 4);
      expect(last.at(-1)!.workerHeap - last[0].workerHeap, 'worker heap trend').toBeLessThan(MiB / 4);
    } finally {
      await probe.detach();
    }
  }, 600_000);
});

describe('storage quota too small for the model', () => {
  let hub: HubServer;
  let quotaStudio: Studio | undefined;
  beforeAll(async () => {
    hub = await startHubServer({ repos: tinyHubRepos() });
  });
  afterAll(async () => {
    await quotaStudio?.close().catch(() => undefined);
    await hub?.close();
  });

  it('says the model could not be cached, downloads each weight byte once, and generates', async () => {
    const weights = {
      'transformer/diffusion_pytorch_model.safetensors': readFileSync(fixture('dit/dit-tiny.diffusers.safetensors')).length,
      'vae/diffusion_pytorch_model.safetensors': readFileSync(fixture('vae/tiny.safetensors')).length,
    };
    // Room for the app's own records (settings, gallery, kernel choices) but for neither weight file.
    const quota = 400 * 1024;
    expect(Math.min(...Object.values(weights))).toBeGreaterThan(quota);
    const want = tinyHubReference({ classId: 3, steps: 2, sampler: 'ddim', seed: 7, cfgScale: 4 });

    const origin = inject('appUrl');
    const path = `/?hub=${encodeURIComponent(hub.url)}&repo=${encodeURIComponent(TINY_REPO)}&revision=${encodeURIComponent('refs/pr/1')}`;
    quotaStudio = await openStudio(shared.browser, path, undefined, async (page) => {
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: quota });
    });
    const { page, errors } = quotaStudio;

    await waitForEngine(page);
    await pickClass(page, 'tiger shark', 3);
    await page.getByTestId('steps').fill('2');
    await page.getByTestId('sampler').selectOption('ddim');
    await page.getByTestId('seed').fill('7');
    await page.getByTestId('generate').click();
    await waitForFinalImage(page, 2, 120_000);
    await shot(page, '23-quota-not-cached');

    // The message says why the model is not kept, and the image is the reference one.
    const warning = page.getByTestId('cache-warning');
    expect(await warning.textContent()).toMatch(/could not be cached.*storage quota is too small/i);
    expect(await page.locator('.model-status').textContent()).toContain('downloaded this session');
    expect(await finalImageSize(page)).toEqual([16, 16]);
    expect(maxAbsDiff(rgbOf((await canvasPixels(page, 'final-image')).data), (await want).rgb)).toBeLessThanOrEqual(1);

    // Each weight file came over the network once (its bytes were not thrown away with the failed
    // cache write and fetched again), and nothing of it stayed in the browser's storage.
    for (const [file, size] of Object.entries(weights)) {
      const sent = hub.requests.filter((r) => r.file === file).reduce((n, r) => n + r.bytes, 0);
      expect(sent, `${file}: bytes sent`).toBeLessThanOrEqual(size + 16);
      expect(sent, `${file}: bytes sent`).toBeGreaterThanOrEqual(size);
    }
    const estimate = await page.evaluate(() => navigator.storage.estimate());
    expect(estimate.usage).toBeLessThanOrEqual(quota);
    figures.quota = { quotaBytes: quota, usageBytes: estimate.usage, usageDetails: (estimate as { usageDetails?: unknown }).usageDetails, weightBytes: weights };
    console.log(`quota: ${quota} bytes; used ${estimate.usage} bytes`, JSON.stringify((estimate as { usageDetails?: unknown }).usageDetails));
    expect(errors.filter((e) => !/QuotaExceeded|quota/i.test(e))).toEqual([]);
  });
});
