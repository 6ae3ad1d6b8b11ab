import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (p: string) => readFileSync(new URL(`../../../${p}`, import.meta.url), 'utf8');
const shaderImports = (source: string) => [...source.matchAll(/from '\.\.\/\.\.\/shaders\/([\w.]+\.wgsl)'/g)].map((m) => m[1]);

describe('the autotune cache key', () => {
  it('hashes every matmul and attention shader the DiT kernel wrappers use, so editing one re-tunes', () => {
    const keyed = new Set(shaderImports(read('src/engine/tuning-store.ts')));
    const gpuFiles = readdirSync(new URL('../../../src/gpu/', import.meta.url)).filter((f) => f.endsWith('.ts') && !f.startsWith('vae'));
    const tuned = gpuFiles.flatMap((f) => shaderImports(read(`src/gpu/${f}`))).filter((s) => /^(matmul|attention)/.test(s));
    expect(tuned.length).toBeGreaterThanOrEqual(5);
    for (const shader of tuned) expect(keyed, `${shader} is not in the tuning key`).toContain(shader);
  });
});
