/**
 * The service worker that lets the installed app start and generate offline. Built by
 * ./vite-plugin.ts into `sw.js` beside `index.html`, with the list of the build's files
 * (`__DIT_PRECACHE__`: the app shell, its worker, the manifest and icons, the built-in model) and a
 * version that is a hash of their contents (`__DIT_CACHE_VERSION__`).
 *
 * Install fetches every file of the build into one cache named after that version (all or none);
 * activation deletes the caches of older builds and takes over the open pages at once.
 *
 * Every request it answers goes to the network first and falls back to the cache only when the
 * network fails. So a new deployment is seen on the very next load (the cache never serves a stale
 * page while the server is reachable), the cache stays one consistent snapshot of one build
 * (never updated piecemeal: a new page with an old worker script could not run), and the new
 * build's `sw.js` differs byte for byte, so the browser installs it — and with it the new snapshot —
 * on that same visit. Cache first would start faster, but would run the old build until a second
 * visit after every deployment.
 *
 * Requests to other origins (the Hub, whose downloads the engine caches in OPFS or IndexedDB) and
 * same-origin URLs outside the build are never touched (./sw-rules.ts).
 */
import { CACHE_PREFIX, cacheName, rangeOf, strategyFor } from './sw-rules.ts';

declare const __DIT_PRECACHE__: string[];
declare const __DIT_CACHE_VERSION__: string;

const sw = self as unknown as ServiceWorkerGlobalScope;
const CACHE = cacheName(__DIT_CACHE_VERSION__);
const FILES = __DIT_PRECACHE__.map((p) => new URL(p, sw.registration.scope).href);
const PATHS = new Set(FILES.map((u) => new URL(u).pathname));
const APP_PAGE = new URL('index.html', sw.registration.scope).href;

sw.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // `reload`: the server's copy, not one the HTTP cache kept from an older build.
      await cache.addAll(FILES.map((url) => new Request(url, { cache: 'reload' })));
      await sw.skipWaiting();
    })(),
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key.startsWith(CACHE_PREFIX) && key !== CACHE) await caches.delete(key);
      await sw.clients.claim();
    })(),
  );
});

sw.addEventListener('fetch', (event) => {
  const { request } = event;
  const strategy = strategyFor(request, sw.registration.scope, PATHS);
  if (!strategy) return;
  event.respondWith(
    fetch(request).catch(async (offline: unknown) => {
      const cache = await caches.open(CACHE);
      // Ranges are cut from the whole cached file; a page falls back to the app's page.
      const cached = (await cache.match(request.url, { ignoreSearch: strategy === 'page' })) ?? (strategy === 'page' ? await cache.match(APP_PAGE) : undefined);
      if (!cached) throw offline;
      return strategy === 'file' ? rangeOf(cached, request.headers.get('Range')) : cached;
    }),
  );
});
