/**
 * Batched generation (guidance sweeps, seed grids, blend strips in one sampling run): each picture
 * of a batch equals its single run within ±1 per 8-bit channel, on the built-in pixel model and on
 * a tiny latent model with a VAE; a blend at weight 0 / 1 equals the plain classes; the model's
 * clean estimate x̂₀ at the last step equals the final sample (DDPM and DDIM).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Frame, GenerateParams, PictureParams } from '../../src/engine/api.ts';
import type { SamplerKind } from '../../src/sampling/sampler-kind.ts';
import { bytesSource } from '../../src/weights/source.ts';
import { fixture } from '../support/fixtures.ts';
import { useBrowserHost } from '../support/gpu-host.ts';

const host = useBrowserHost();

/** The largest difference over RGB channels (alpha is always 255). */
function maxRgbDiff(a: Frame, b: Frame): number {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let worst = 0;
  for (let i = 0; i < a.rgba.length; i++) if (i % 4 !== 3) worst = Math.max(worst, Math.abs(a.rgba[i] - b.rgba[i]));
  return worst;
}

/** How many distinct byte values: a real picture, not a flat or saturated frame. */
const distinctValues = (f: Frame) => new Set(f.rgba).size;

async function single(p: PictureParams, steps: number, sampler: SamplerKind): Promise<Frame> {
  const params: GenerateParams = { ...p, steps, sampler };
  return (await host().api.engine.generate(params)).image;
}

async function expectBatchEqualsSingles(pictures: PictureParams[], steps: number, sampler: SamplerKind): Promise<void> {
  const { images } = await host().api.engine.generateBatch({ pictures, steps, sampler });
  expect(images).toHaveLength(pictures.length);
  for (const [i, p] of pictures.entries()) {
    const alone = await single(p, steps, sampler);
    expect(distinctValues(alone)).toBeGreaterThan(20);
    expect(maxRgbDiff(images[i], alone), `picture ${i} (${JSON.stringify(p)})`).toBeLessThanOrEqual(1);
  }
  // The batch is not one picture repeated (the first and last pictures differ in seed).
  expect(maxRgbDiff(images[0], images[pictures.length - 1])).toBeGreaterThan(10);
}

describe('batched generation on the built-in model (pixels)', () => {
  it('a guidance sweep, seeds and a blend in one DDPM batch: each picture equals its single run', async () => {
    await host().api.engine.load({ kind: 'builtin' });
    await expectBatchEqualsSingles([
      { classId: 948, seed: 1, cfgScale: 1 },
      { classId: 948, seed: 1, cfgScale: 4 },
      { classId: 430, seed: 5, cfgScale: 2.5 },
      { classId: 430, seed: 5, cfgScale: 4, blend: { classId: 948, weight: 0.5 } },
    ], 4, 'ddpm');
  });

  it('a seed grid with DDIM', async () => {
    await host().api.engine.load({ kind: 'builtin' });
    await expectBatchEqualsSingles([1, 2, 3].map((seed) => ({ classId: 817, seed, cfgScale: 4 })), 5, 'ddim');
  });

  it('a blend at weight 0 is the plain class, at weight 1 the blend class', async () => {
    await host().api.engine.load({ kind: 'builtin' });
    const [a, b] = [948, 430];
    const { images } = await host().api.engine.generateBatch({
      pictures: [
        { classId: a, seed: 3, cfgScale: 4, blend: { classId: b, weight: 0 } },
        { classId: a, seed: 3, cfgScale: 4, blend: { classId: b, weight: 1 } },
        { classId: a, seed: 3, cfgScale: 4, blend: { classId: b, weight: 0.5 } },
      ],
      steps: 4, sampler: 'ddim',
    });
    const plainA = await single({ classId: a, seed: 3, cfgScale: 4 }, 4, 'ddim');
    const plainB = await single({ classId: b, seed: 3, cfgScale: 4 }, 4, 'ddim');
    expect(maxRgbDiff(plainA, plainB)).toBeGreaterThan(20);
    expect(maxRgbDiff(images[0], plainA)).toBeLessThanOrEqual(1);
    expect(maxRgbDiff(images[1], plainB)).toBeLessThanOrEqual(1);
    // Halfway is neither end.
    expect(maxRgbDiff(images[2], plainA)).toBeGreaterThan(1);
    expect(maxRgbDiff(images[2], plainB)).toBeGreaterThan(1);
  });

  for (const sampler of ['ddpm', 'ddim'] as const) {
    it(`x̂₀ at the last step is the final sample (${sampler}); x_t and ε views are pictures of their own`, async () => {
      await host().api.engine.load({ kind: 'builtin' });
      const steps = 6;
      const { images, steps: views } = await host().api.lab.generateWithSteps({
        pictures: [{ classId: 817, seed: 2, cfgScale: 4 }, { classId: 948, seed: 9, cfgScale: 1 }], steps, sampler,
      });
      expect(views).toHaveLength(steps);
      for (const [b, image] of images.entries()) {
        const last = views[steps - 1][b];
        expect(maxRgbDiff(last.x0, image)).toBeLessThanOrEqual(1);
        expect(maxRgbDiff(last.xt, image)).toBeLessThanOrEqual(1);
        // Early on, the sample is noisy and differs from the estimate; ε is not the image.
        expect(maxRgbDiff(views[0][b].xt, views[0][b].x0)).toBeGreaterThan(20);
        expect(maxRgbDiff(views[0][b].eps, image)).toBeGreaterThan(20);
        expect(distinctValues(views[0][b].eps)).toBeGreaterThan(20);
      }
    });
  }
});

describe('batched generation on a latent model (tiny DiT + tiny VAE)', () => {
  it('each picture of a batch equals its single run, decoded one by one', async () => {
    const h = host();
    const serve = (rel: string) => h.serveSource(bytesSource(new Uint8Array(readFileSync(fixture(rel))), rel));
    await h.api.engine.load({
      kind: 'urls', name: 'tiny', cache: false,
      transformerUrl: serve('dit/dit-tiny.safetensors'), transformerConfigUrl: serve('dit/dit-tiny.config.json'),
      vaeUrl: serve('vae/tiny.safetensors'), vaeConfigUrl: serve('vae/tiny.config.json'),
    });
    await expectBatchEqualsSingles([
      { classId: 3, seed: 7, cfgScale: 4 },
      { classId: 3, seed: 7, cfgScale: 1.5, blend: { classId: 8, weight: 0.3 } },
      { classId: 5, seed: 2, cfgScale: 4 },
    ], 4, 'ddpm');
  });
});

describe('batched generation input checks', () => {
  it('refuses a blend weight outside [0, 1], a blend class outside the model, an empty batch', async () => {
    const e = host().api.engine;
    await e.load({ kind: 'builtin' });
    const run = (pictures: PictureParams[]) => e.generateBatch({ pictures, steps: 2, sampler: 'ddim' });
    await expect(run([{ classId: 948, seed: 1, cfgScale: 4, blend: { classId: 430, weight: 1.5 } }])).rejects.toThrow(/blend weight must be in \[0, 1\], got 1.5/);
    await expect(run([{ classId: 948, seed: 1, cfgScale: 4, blend: { classId: 1000, weight: 0.5 } }])).rejects.toThrow(/1000/);
    await expect(run([])).rejects.toThrow(/no pictures/);
  });
});
