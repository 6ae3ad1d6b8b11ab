/**
 * Helpers of the end-to-end tests: headless Chromium (SwiftShader WebGPU, or none) on the built
 * app served by ./setup.ts, screenshots under test-artifacts/e2e/, canvas pixels, and an in-page
 * recorder of the step counter and the preview canvas (steps come every few hundred ms; polling
 * from Node would miss some).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, inject } from 'vitest';
import { CHROMIUM_FLAGS, chromiumPath } from '../../src/host/browser-host.ts';

export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/e2e/', import.meta.url));

/** Headless Chromium with SwiftShader WebGPU; `webgpu: false` leaves out --enable-unsafe-webgpu (no adapter). */
export async function launchBrowser(opts: { webgpu?: boolean } = {}): Promise<Browser> {
  const args = opts.webgpu === false ? CHROMIUM_FLAGS.filter((f) => f !== '--enable-unsafe-webgpu') : CHROMIUM_FLAGS;
  return chromium.launch({ executablePath: chromiumPath(), args, headless: true });
}

export interface Studio {
  context: BrowserContext;
  page: Page;
  /** Uncaught exceptions and console errors of the page (and its worker). */
  errors: string[];
  close(): Promise<void>;
}

/**
 * A fresh browser context (its own storage: settings, gallery, model cache) on the app at
 * `path` (e.g. `/?hub=…`). `init` runs in the page before the app's scripts; `beforeLoad` in Node
 * before the page is opened (e.g. DevTools settings for its origin).
 */
export async function openStudio(browser: Browser, path = '/', init?: () => void, beforeLoad?: (page: Page) => Promise<void>): Promise<Studio> {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  if (init) await page.addInitScript(init);
  await beforeLoad?.(page);
  await page.goto(`${inject('appUrl')}${path}`);
  return { context, page, errors, close: () => context.close() };
}

/**
 * One browser, and one tab on the app at `path`, for the whole test file: opened before its first
 * test and closed after its last, so its tests run in order as one visit (a fresh tab's engine
 * worker compiles its GPU pipelines again, seconds on SwiftShader). Read them inside the tests.
 */
export function studioForFile(path = '/'): { readonly browser: Browser; readonly studio: Studio } {
  let browser: Browser | undefined;
  let studio: Studio | undefined;
  beforeAll(async () => {
    browser = await launchBrowser();
    studio = await openStudio(browser, path);
  });
  afterAll(async () => {
    await studio?.close().catch(() => undefined);
    await browser?.close();
  });
  const opened = <T>(v: T | undefined): T => {
    if (!v) throw new Error('the browser opens in beforeAll: read it inside a test');
    return v;
  };
  return {
    get browser() {
      return opened(browser);
    },
    get studio() {
      return opened(studio);
    },
  };
}

/**
 * Saves a full-page screenshot as test-artifacts/e2e/NAME.png: scrolled to the top first (the
 * left column is sticky, so a page that Playwright scrolled to click something would show it
 * shifted down), CSS transitions finished (e.g. the progress bar's).
 */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true, animations: 'disabled' });
}

/** Waits for the engine badge to say WebGPU is up (the worker opened a device). */
export async function waitForEngine(page: Page): Promise<void> {
  await page.getByText(/^WebGPU · /).waitFor({ timeout: 60_000 });
}

export async function text(page: Page, testId: string): Promise<string> {
  return ((await page.getByTestId(testId).textContent()) ?? '').trim();
}

export interface Pixels {
  width: number;
  height: number;
  /** RGBA bytes. */
  data: number[];
}

/** The pixels drawn in a canvas (by test id). */
export async function canvasPixels(page: Page, testId: string): Promise<Pixels> {
  return page.getByTestId(testId).evaluate((el) => {
    const c = el as HTMLCanvasElement;
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    return { width: c.width, height: c.height, data: Array.from(data) };
  });
}

export function samePixels(a: Pixels, b: Pixels): boolean {
  return a.width === b.width && a.height === b.height && a.data.length === b.data.length && a.data.every((v, i) => v === b.data[i]);
}

/** FNV-1a of the pixels, as `WxH:hex` (the same hash the in-page recorder uses). */
export function pixelHash(p: Pixels): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < p.data.length; i++) h = Math.imul(h ^ p.data[i], 0x01000193);
  return `${p.width}x${p.height}:${(h >>> 0).toString(16)}`;
}

export interface RunSample {
  /** Milliseconds since the recorder started. */
  t: number;
  counter: string;
  /** FNV-1a of the visible preview canvas' pixels ('' while it is hidden). */
  preview: string;
  progress: number;
  progressLabel: string;
  status: string;
}

/**
 * Starts recording, in the page, every change of the step counter, the preview canvas' pixels,
 * the progress bar and the status line (polled every 5 ms). `stop()` returns the samples.
 */
export async function recordRun(page: Page): Promise<{ stop(): Promise<RunSample[]> }> {
  await page.evaluate(() => {
    const w = window as unknown as { __e2eRun?: { samples: unknown[]; timer: number } };
    if (w.__e2eRun) clearInterval(w.__e2eRun.timer);
    const samples: unknown[] = [];
    const t0 = performance.now();
    let last = '';
    const q = (id: string) => document.querySelector(`[data-testid="${id}"]`);
    const hash = (c: HTMLCanvasElement | null) => {
      if (!c || c.hidden) return '';
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let h = 0x811c9dc5;
      for (let i = 0; i < d.length; i++) h = Math.imul(h ^ d[i], 0x01000193);
      return `${c.width}x${c.height}:${(h >>> 0).toString(16)}`;
    };
    const timer = window.setInterval(() => {
      const p = q('progress') as HTMLProgressElement | null;
      const s = {
        counter: q('step-counter')?.textContent?.trim() ?? '',
        preview: hash(q('step-preview') as HTMLCanvasElement | null),
        progress: p?.value ?? 0,
        progressLabel: p?.getAttribute('aria-label') ?? '',
        status: document.querySelector('.run-controls [role="status"]')?.textContent?.trim() ?? '',
      };
      const key = JSON.stringify(s);
      if (key !== last) {
        last = key;
        samples.push({ t: Math.round(performance.now() - t0), ...s });
      }
    }, 5);
    w.__e2eRun = { samples, timer };
  });
  return {
    async stop() {
      return page.evaluate(() => {
        const w = window as unknown as { __e2eRun?: { samples: RunSample[]; timer: number } };
        if (!w.__e2eRun) return [];
        clearInterval(w.__e2eRun.timer);
        const s = w.__e2eRun.samples;
        delete w.__e2eRun;
        return s;
      });
    },
  };
}

/** Waits until the run is finished: the counter reads `N / N` and the final image is shown. */
export async function waitForFinalImage(page: Page, steps: number, timeout = 90_000): Promise<void> {
  await page.waitForFunction(
    (n) => {
      const counter = document.querySelector('[data-testid="step-counter"]')?.textContent?.trim();
      const img = document.querySelector('[data-testid="final-image"]') as HTMLElement | null;
      const err = document.querySelector('[data-testid="error"]');
      if (err) throw new Error(`the page shows an error: ${err.textContent}`);
      return counter === `${n} / ${n}` && img !== null && !img.hidden;
    },
    steps,
    { timeout, polling: 50 },
  );
}

/** The intrinsic size of the final image (canvas width/height, or an img's natural size). */
export async function finalImageSize(page: Page): Promise<[number, number]> {
  return page.getByTestId('final-image').evaluate((el) =>
    el instanceof HTMLCanvasElement ? [el.width, el.height] : [(el as HTMLImageElement).naturalWidth, (el as HTMLImageElement).naturalHeight],
  );
}

/** Number of images in the gallery. */
export async function galleryCount(page: Page): Promise<number> {
  return page.getByTestId('gallery').locator('img').count();
}

/** Waits until the gallery holds `n` images (it is written after the run finishes). */
export async function waitForGallery(page: Page, n: number): Promise<void> {
  await page.waitForFunction((k) => document.querySelectorAll('[data-testid="gallery"] img').length === k, n, { timeout: 15_000 });
}

/** Picks a class through the search box: types `query`, then clicks the option with this id. */
export async function pickClass(page: Page, query: string, classId: number): Promise<void> {
  await page.getByTestId('class-search').fill(query);
  await page.locator(`[data-testid="class-option"][data-class-id="${classId}"]`).click();
}

/** The settings the app persisted (localStorage), to check what the inputs set. */
export async function savedSettings(page: Page): Promise<Record<string, unknown>> {
  return page.evaluate(() => JSON.parse(localStorage.getItem('dit-studio:settings') ?? '{}').state?.settings ?? {});
}
