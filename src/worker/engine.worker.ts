/** The app's engine worker: the Engine behind comlink, its built-in model served with the app. */
import { expose } from 'comlink';
import { Engine } from '../engine/engine.ts';

const engine = new Engine(new URL(`${import.meta.env.BASE_URL}models/builtin/`, self.location.origin).href);
expose(engine);

/**
 * Test-only hooks for the end-to-end tests (tests/e2e/reliability.test.ts). They live on the
 * worker's own global, which only a debugger reaches (Playwright's `worker.evaluate`, DevTools);
 * the page has no way to call them.
 */
Object.assign(self, {
  ditTestHooks: {
    /** Destroys the GPU device, as a driver reset would lose it. */
    loseDevice: async () => (await engine.local.context()).gpu.device.destroy(),
    memoryStats: () => engine.memoryStats(),
  },
});
