import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { expect, it } from 'vitest';

it('the weights barrel bundles for the browser without any Node module', async () => {
  const out = await build({
    entryPoints: [fileURLToPath(new URL('../../../src/weights/index.ts', import.meta.url))],
    bundle: true, write: false, format: 'esm', platform: 'browser', logLevel: 'silent',
  });
  expect(out.errors).toEqual([]);
  expect(out.outputFiles[0].text).not.toMatch(/from\s*["']node:|require\(["']node:/);
});
