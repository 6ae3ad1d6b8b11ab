/**
 * Kernels compiled before the first step (src/engine/kernel-prep.ts): the engine dry-runs the
 * generation on a null device, compiles every pipeline it names at once, and the real run then
 * compiles nothing on first use. A pipeline the dry run missed would show in compiledOnUse.
 */
import { describe, expect, it } from 'vitest';
import type { GenerateParams } from '../../src/engine/api.ts';
import { fixture } from '../support/fixtures.ts';
import { useBrowserHost } from '../support/gpu-host.ts';

const host = useBrowserHost();

describe('kernels compiled ahead of a run', () => {
  it('the built-in model: every kernel of the run is ready before it, none compiles on first use', async () => {
    const engine = host().api.engine;
    await engine.load({ kind: 'builtin' });
    const params: GenerateParams = { classId: 207, cfgScale: 4, steps: 3, sampler: 'ddpm', seed: 1 };
    const before = (await engine.pipelineStats()).compiled;
    const prepared = await engine.prepare(params);
    expect(prepared.dryRunError).toBeUndefined();
    expect(prepared.later).toBe(0); // a pixel model: nothing after the first step
    expect(prepared.firstStep).toBeGreaterThan(10);
    expect(prepared.compiled).toBeGreaterThan(0);
    expect((await engine.pipelineStats()).compiled).toBe(before + prepared.compiled);

    const result = await engine.generate(params);
    expect([result.image.width, result.image.height]).toEqual([32, 32]);
    expect((await engine.pipelineStats()).compiledOnUse).toEqual([]);

    // Prepared once, prepared for good; another sampler adds its own step kernel only.
    expect((await engine.prepare(params)).compiled).toBe(0);
    expect((await engine.prepare({ ...params, sampler: 'ddim' })).compiled).toBe(1);
    // Without guidance the batch halves and the guidance kernel goes: nothing new to compile.
    expect((await engine.prepare({ ...params, cfgScale: 1 })).compiled).toBe(0);
    await engine.generate({ ...params, sampler: 'ddim', cfgScale: 1 });
    expect((await engine.pipelineStats()).compiledOnUse).toEqual([]);
  });

  it('a latent model: the VAE decode\'s kernels come after the first step and are ready when it runs', async () => {
    const h = host();
    await h.api.engine.load({
      kind: 'urls', cache: false,
      transformerUrl: h.serveFile(fixture('dit/dit-tiny.safetensors')), transformerConfigUrl: h.serveFile(fixture('dit/dit-tiny.config.json')),
      vaeUrl: h.serveFile(fixture('vae/tiny.safetensors')), vaeConfigUrl: h.serveFile(fixture('vae/tiny.config.json')),
    });
    const params: GenerateParams = { classId: 3, cfgScale: 4, steps: 2, sampler: 'ddpm', seed: 7 };
    const prepared = await h.api.engine.prepare(params);
    expect(prepared.dryRunError).toBeUndefined();
    expect(prepared.later).toBeGreaterThan(3); // the decoder's convolutions, norms, attention
    await h.api.engine.generate(params);
    expect((await h.api.engine.pipelineStats()).compiledOnUse).toEqual([]);
  });
});
