/** One headless Chromium engine host per test file. */
import { afterAll, beforeAll } from 'vitest';
import { BrowserHost } from '../../src/host/browser-host.ts';

export function useBrowserHost(): () => BrowserHost {
  let host: BrowserHost | null = null;
  beforeAll(async () => {
    host = await BrowserHost.start();
  });
  afterAll(async () => {
    await host?.close();
  });
  return () => {
    if (!host) throw new Error('browser host not started');
    return host;
  };
}
