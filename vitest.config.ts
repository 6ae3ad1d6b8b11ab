import { defineConfig } from 'vitest/config';
import { wgslText } from './vite.config.ts';

export default defineConfig({
  test: {
    projects: [
      {
        // Shaders load as text, as in the app: dry runs of the engine's recording code on a null device.
        plugins: [wgslText()],
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts', 'tests/unit/**/*.test.tsx'],
          environment: 'node',
          // CPU references of whole models take seconds on a loaded 2-core machine.
          testTimeout: 60_000,
        },
      },
      {
        // Everything that touches WebGPU: one headless Chromium per file, files one at a time
        // (SwiftShader already uses every core).
        test: {
          name: 'gpu',
          include: ['tests/gpu/**/*.test.ts'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The built app (Vite build, served as static files) in headless Chromium on the real
        // engine: one browser per file, files one at a time, after the other projects (2 cores).
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['tests/e2e/setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 60_000,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
