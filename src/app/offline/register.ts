/**
 * Registers the service worker (./service-worker.ts, built as `sw.js`) that keeps the app and the
 * built-in model for offline use. Only in a production build: the dev server has no `sw.js`, and a
 * worker caching its modules would get in the way of hot reloading.
 */
export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  // After the page has loaded, so that filling the cache does not compete with the first start.
  const register = () => {
    navigator.serviceWorker.register(`${import.meta.env.BASE_URL}sw.js`).catch((e: unknown) => {
      console.warn('Offline use is not available: the service worker could not be registered.', e);
    });
  };
  if (document.readyState === 'complete') register();
  else window.addEventListener('load', register, { once: true });
}
