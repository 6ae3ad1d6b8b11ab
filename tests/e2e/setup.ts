/**
 * Global setup of the e2e project: builds the app once (Vite's `build()` into a temporary folder,
 * exactly what `npm run build` writes to `dist/`) and serves it as plain static files on
 * 127.0.0.1. The tests get the app's URL (`http://localhost:PORT`, a secure context) through
 * `inject('appUrl')`. `E2E_DIST=path` serves an existing build instead of building.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import type { TestProject } from 'vitest/node';
import { startStaticServer } from '../support/static-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The built app, e.g. `http://localhost:41234` (no trailing slash). */
    appUrl: string;
  }
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let outDir = process.env.E2E_DIST ? resolve(process.env.E2E_DIST) : null;
  let tmp: string | null = null;
  if (!outDir) {
    tmp = mkdtempSync(join(tmpdir(), 'dit-e2e-dist-'));
    outDir = tmp;
    // Vitest sets NODE_ENV=test, with which Vite builds React's development bundle and leaves
    // import.meta.env.PROD false (no service worker): build for production, as `npm run build`
    // does. Before any test worker starts, and restored at once.
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await build({
        root: ROOT,
        configFile: join(ROOT, 'vite.config.ts'),
        logLevel: 'error',
        build: { outDir, emptyOutDir: true },
      });
    } finally {
      if (nodeEnv === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = nodeEnv;
    }
  }
  const server = await startStaticServer(outDir);
  project.provide('appUrl', server.url);
  return async () => {
    await server.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  };
}
