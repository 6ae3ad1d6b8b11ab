/** One headless Chromium engine host per test file, with the test worker (engine, kernel lab, bench). */
import { afterAll, beforeAll } from 'vitest';
import { startTestHost, type TestHost } from './test-host.ts';

export function useBrowserHost(): () => TestHost {
  let host: TestHost | null = null;
  beforeAll(async () => {
    host = await startTestHost();
  });
  afterAll(async () => {
    await host?.close();
  });
  return () => {
    if (!host) throw new Error('browser host not started');
    return host;
  };
}
