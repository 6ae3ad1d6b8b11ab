/** The headless host with the test worker (engine, kernel lab, bench), for the GPU tests and `npm run bench`. */
import { fileURLToPath } from 'node:url';
import { BrowserHost, type HostOptions } from '../../src/host/browser-host.ts';
import type { TestApi } from './test.worker.ts';

export const TEST_WORKER = fileURLToPath(new URL('./test.worker.ts', import.meta.url));

export type TestHost = BrowserHost<TestApi>;

export function startTestHost(opts: HostOptions = {}): Promise<TestHost> {
  return BrowserHost.start<TestApi>({ ...opts, workerEntry: TEST_WORKER });
}
