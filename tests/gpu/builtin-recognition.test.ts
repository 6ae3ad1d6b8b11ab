/**
 * The built-in model makes recognisable pictures, measured: each generated image is matched to
 * the nearest rendered emoji of all the model's classes; the true class must rank near the top,
 * far above chance, and guidance must bring the pictures closer to their class.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_CONFIG, BUILTIN_WEIGHTS } from '../../src/cli/builtin-model.ts';
import { parseDitConfig } from '../../src/model/config.ts';
import type { HostTensorF32 } from '../../src/gpu/host-tensor.ts';
import { readFileSync } from 'node:fs';
import { loadSafetensors } from '../support/fixtures.ts';
import { useBrowserHost } from '../support/gpu-host.ts';
import { loadReferences, pooled, rankOf, toHwcBytes } from '../support/recognition.ts';

const host = useBrowserHost();
// Distinct shapes and colours: banana, Granny Smith, strawberry, pizza, basketball, fire engine,
// flamingo, broccoli.
const CLASSES = [954, 948, 949, 963, 430, 555, 130, 937];
const SEEDS = [11];

async function sampleAll(cfg: number) {
  const config = parseDitConfig(JSON.parse(readFileSync(BUILTIN_CONFIG, 'utf8')));
  const id = await host().api.engine.loadDit(host().serveFile(BUILTIN_WEIGHTS), config);
  const images: { classId: number; image: Float32Array }[] = [];
  for (const seed of SEEDS) {
    const res = await host().api.engine.ditSample(id, {
      labels: Int32Array.from(CLASSES), respacing: '12', sampler: 'ddim', cfgScale: cfg, noise: { seed },
    });
    const per = 3 * 32 * 32;
    CLASSES.forEach((classId, i) => images.push({ classId, image: pooled(toHwcBytes(res.final.data.subarray(i * per, (i + 1) * per))) }));
  }
  return images;
}

// Measured on the committed weights (10 369 steps, see MODEL_CARD.md): mean rank of the own emoji
// 1.1 guided (scale 4) and 22.6 unguided, top-5 0.88 and 0.38 (chance: rank 67.5, top-5 0.037);
// at 6 731 steps (Noto only) it was 7.3 and 21.1. The fuller measure of issue 13 (24 classes x 2
// seeds, DDIM 50, held-out design) is tools/builtin/eval_builtin.py, in the model card, and through
// the engine tests/gpu/builtin-metrics.test.ts.
// Guidance is judged by rank, i.e. by class identity against the other classes: its pictures
// are more saturated than the renderings (the usual effect of guidance), so their raw pixel
// distance to the own emoji grows (1061 vs 630) even as they move towards it relative to every
// other class.
describe('built-in model: recognisable classes', () => {
  const refs = loadReferences(loadSafetensors('builtin/emoji-refs.safetensors'));
  const chanceTop5 = 5 / refs.classIds.length;

  it('generated pictures rank their own emoji near the top, and guidance sharpens them', async () => {
    const guided = (await sampleAll(4)).map(({ classId, image }) => rankOf(refs, image, classId));
    const unguided = (await sampleAll(1)).map(({ classId, image }) => rankOf(refs, image, classId));
    const top5 = (r: { rank: number }[]) => r.filter((x) => x.rank < 5).length / r.length;
    const meanRank = (r: { rank: number }[]) => r.reduce((a, x) => a + x.rank, 0) / r.length;
    const meanDistance = (r: { distance: number }[]) => r.reduce((a, x) => a + x.distance, 0) / r.length;
    const chanceRank = (refs.classIds.length - 1) / 2;
    console.log(`top-5: guided ${top5(guided).toFixed(2)}, unguided ${top5(unguided).toFixed(2)} (chance ${chanceTop5.toFixed(3)}); ` +
      `mean rank of the own emoji: guided ${meanRank(guided).toFixed(1)}, unguided ${meanRank(unguided).toFixed(1)} (chance ${chanceRank}); ` +
      `mean distance: guided ${meanDistance(guided).toFixed(1)}, unguided ${meanDistance(unguided).toFixed(1)}`);
    expect(meanRank(guided)).toBeLessThan(MAX_MEAN_RANK_GUIDED);
    expect(meanRank(guided)).toBeLessThan(meanRank(unguided));
  });
});

/** Measured 1.1 on the committed weights (7.3 at 6 731 steps; see MODEL_CARD.md); chance is a mean rank of 67.5 of 136. */
const MAX_MEAN_RANK_GUIDED = 15;
