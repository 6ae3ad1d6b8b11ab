/**
 * The installable app, offline: the built app (manifest, icons, service worker) is installable
 * (Chromium's own check), the first visit fills the service worker's cache with the app and the
 * built-in model (same-origin files only), and with the network off a reload starts the app and
 * generates. A new build is picked up on the next visit: its page comes from the network, its
 * service worker replaces the cache, and that is what the next offline start runs.
 *
 * The app is reached through a proxy in front of the e2e static server (./setup.ts) that can go
 * down (connections dropped: the origin is unreachable, whatever DevTools' offline mode covers)
 * and can serve a modified build. A persistent Chromium profile: Chromium does not offer to
 * install from an incognito context, which is what a plain browser context is.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CHROMIUM_FLAGS, chromiumPath } from '../../src/host/browser-host.ts';
import { finalImageSize, shot, waitForEngine, waitForFinalImage } from './studio.ts';

/** A proxy to `target` that can drop every connection (down) and rewrite answers by path. */
interface Proxy {
  url: string;
  down: boolean;
  /** Requests it forwarded, by path. */
  served: string[];
  rewrite: Map<string, (body: string) => string>;
  close(): Promise<void>;
}

async function startProxy(target: string): Promise<Proxy> {
  const to = new URL(target);
  const proxy: Proxy = { url: '', down: false, served: [], rewrite: new Map(), close: async () => undefined };
  const server: Server = createServer((req, res) => {
    if (proxy.down) return void req.socket.destroy();
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    proxy.served.push(path);
    const rewrite = proxy.rewrite.get(path);
    const headers = { ...req.headers, host: to.host };
    if (rewrite) delete headers.range;
    const upstream = request({ host: to.hostname, port: to.port, path: req.url, method: req.method, headers }, (up) => {
      if (!rewrite) {
        res.writeHead(up.statusCode ?? 502, up.headers);
        return void up.pipe(res);
      }
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        const body = Buffer.from(rewrite(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(up.statusCode ?? 502, { ...up.headers, 'content-length': String(body.length) });
        res.end(body);
      });
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://localhost:${(server.address() as AddressInfo).port}`;
  proxy.close = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return proxy;
}

/** The service worker's caches and what they hold (URLs). */
function swCaches(page: Page): Promise<Record<string, string[]>> {
  return page.evaluate(async () => {
    const out: Record<string, string[]> = {};
    for (const key of await caches.keys()) out[key] = (await (await caches.open(key)).keys()).map((r) => r.url).sort();
    return out;
  });
}

let proxy: Proxy;
let profile: string;
let context: BrowserContext;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  proxy = await startProxy(inject('appUrl'));
  profile = mkdtempSync(join(tmpdir(), 'dit-e2e-profile-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(), args: CHROMIUM_FLAGS, headless: true, viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1,
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
});
afterAll(async () => {
  await context?.close().catch(() => undefined);
  await proxy?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('installable, offline app', () => {
  it('is installable, caches the app and the built-in model on the first visit, then starts and generates offline', async () => {
    await page.goto(`${proxy.url}/`);
    await waitForEngine(page);
    // The built-in model has loaded (the weights picker counts its classes): its kernel choices are saved.
    await page.locator('option[value="builtin"]', { hasText: /classes/ }).waitFor({ state: 'attached', timeout: 120_000 });

    // The service worker is active and controls the page; its one cache holds the app and the
    // built-in model, and nothing from another origin.
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      if (!navigator.serviceWorker.controller) await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
    });
    // Chromium's own installability check: manifest, icons, service worker, secure origin.
    const cdp = await context.newCDPSession(page);
    expect((await cdp.send('Page.getInstallabilityErrors')).installabilityErrors).toEqual([]);
    const manifest = await cdp.send('Page.getAppManifest');
    expect(manifest.errors).toEqual([]);
    expect(JSON.parse(manifest.data ?? '{}')).toMatchObject({ short_name: 'DiT Studio', display: 'standalone' });
    await cdp.detach();

    const cached = await swCaches(page);
    expect(Object.keys(cached)).toHaveLength(1);
    const [urls] = Object.values(cached);
    const paths = urls.map((u) => u.slice(proxy.url.length));
    expect(urls.every((u) => u.startsWith(`${proxy.url}/`))).toBe(true);
    expect(paths).toEqual(expect.arrayContaining([
      '/index.html', '/manifest.webmanifest', '/icons/icon-192.png', '/icons/icon-512.png',
      '/models/builtin/config.json', '/models/builtin/classes.json', '/models/builtin/dit-builtin.safetensors',
    ]));
    expect(paths.some((p) => /^\/assets\/engine\.worker-[\w-]+\.js$/.test(p)), 'the engine worker').toBe(true);
    expect(paths).not.toContain('/sw.js');

    // Offline: the origin drops every connection, and DevTools says the network is off.
    proxy.down = true;
    await context.setOffline(true);
    const servedBefore = proxy.served.length;
    await page.reload();
    await waitForEngine(page);
    await page.getByTestId('steps').fill('2');
    await page.getByTestId('generate').click();
    await waitForFinalImage(page, 2, 180_000);
    expect(await finalImageSize(page)).toEqual([32, 32]);
    expect(proxy.served.length).toBe(servedBefore);
    await shot(page, '30-offline-generated');
    expect(errors.filter((e) => !/Failed to load resource|ERR_INTERNET_DISCONNECTED|ERR_EMPTY_RESPONSE/.test(e))).toEqual([]);
  });

  it('a new build is picked up on the next visit, and is what then runs offline', async () => {
    const [oldCache] = Object.keys(await swCaches(page));
    const version = oldCache.replace(/^dit-studio-/, '');
    // "Deploy" a new build: a marked page, and a service worker with another version.
    proxy.rewrite.set('/index.html', (html) => html.replace('<head>', '<head><meta name="dit-build" content="next">'));
    proxy.rewrite.set('/', (html) => html.replace('<head>', '<head><meta name="dit-build" content="next">'));
    proxy.rewrite.set('/sw.js', (js) => js.replaceAll(version, 'next-build'));
    proxy.down = false;
    await context.setOffline(false);

    await page.reload();
    // Network first: the new page at once.
    expect(await page.locator('meta[name="dit-build"]').getAttribute('content')).toBe('next');
    // The new service worker installs, takes over and drops the old build's cache.
    await expect.poll(async () => Object.keys(await swCaches(page)), { timeout: 60_000, interval: 250 }).toEqual(['dit-studio-next-build']);
    expect((await swCaches(page))['dit-studio-next-build']).toContain(`${proxy.url}/index.html`);

    // Offline again: the start page is the new build's.
    proxy.down = true;
    await context.setOffline(true);
    await page.reload();
    expect(await page.locator('meta[name="dit-build"]').getAttribute('content')).toBe('next');
    await waitForEngine(page);
  });
});
