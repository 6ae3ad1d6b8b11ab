/**
 * The TypeScript measurement of the built-in model (tests/support/builtin-metrics.ts) gives
 * eval_builtin.py's figures: on 48 synthetic pictures whose metrics Python computed
 * (tools/builtin/export_templates.py), ranks equal, distances and statistics to rounding.
 */
import { describe, expect, it } from 'vitest';
import { toInt32 } from '../../../src/weights/safetensors.ts';
import {
  EVAL_SEEDS, evalClasses, loadTemplates, type PictureMetrics, pictureMetrics, pooled01, trainedClasses, variety,
} from '../../support/builtin-metrics.ts';
import { loadSafetensors } from '../../support/fixtures.ts';

const templates = loadTemplates(loadSafetensors('builtin/emoji-templates.safetensors'));
const golden = loadSafetensors('builtin/metrics-golden.safetensors');
const meta = golden.header.metadata ?? {};
/** eval_builtin.picture_metrics of the golden pictures (std and object shares rounded to 2 and 4 places). */
const expected = JSON.parse(meta.expected) as PictureMetrics;

describe('built-in model metrics (eval_builtin.py in TypeScript)', () => {
  it('reads every rendering of the four designs, 16 per class, and picks eval_builtin\'s 24 classes', () => {
    expect(templates.designNames).toEqual(['noto', 'twemoji', 'fluent-flat', 'fluent-color']);
    expect(templates.heldOut).toBe('twemoji');
    expect(templates.pooled).toHaveLength(136 * 4 * 16);
    const trained = trainedClasses(templates);
    expect(trained).toHaveLength(136);
    expect(evalClasses(trained)).toEqual(JSON.parse(meta.classes));
  });

  it('a picture made of a rendering\'s block sums pools back to that rendering', () => {
    const row = 1234;
    const target = templates.pooled[row];
    // Spread each 4x4 block's sum over its 16 pixels as integers.
    const picture = new Uint8Array(32 * 32 * 3);
    for (let by = 0; by < 8; by++) for (let bx = 0; bx < 8; bx++) for (let c = 0; c < 3; c++) {
      const sum = Math.round(target[(by * 8 + bx) * 3 + c] * 255 * 16);
      for (let k = 0; k < 16; k++) picture[((by * 4 + (k >> 2)) * 32 + bx * 4 + (k & 3)) * 3 + c] = Math.floor(sum / 16) + (k < sum % 16 ? 1 : 0);
    }
    expect(Array.from(pooled01(picture))).toEqual(Array.from(target));
  });

  it('the golden pictures\' metrics equal Python\'s', () => {
    const images = golden.raw('images').bytes;
    const per = 32 * 32 * 3;
    const pictures = Array.from({ length: images.length / per }, (_, i) => images.slice(i * per, (i + 1) * per));
    const got = pictureMetrics(pictures, Array.from(toInt32(golden.raw('labels'))), EVAL_SEEDS.length, templates);

    expect(got.recognition.ranks).toEqual(expected.recognition.ranks);
    expect(got.held_out.ranks).toEqual(expected.held_out.ranks);
    for (const key of ['recognition', 'held_out'] as const) {
      for (const stat of ['top1', 'top5', 'mean_rank'] as const) expect(got[key][stat]).toBeCloseTo(expected[key][stat], 12);
    }
    // The fixture spreads: some pictures rank first, some do not, one is an empty frame.
    expect(expected.recognition.top1).toBeGreaterThan(0.2);
    expect(expected.recognition.top1).toBeLessThan(0.8);
    expect(expected.empty.n_no_object).toBeGreaterThan(0);

    const e = got.empty;
    expect([e.n, e.n_std_lt_10, e.n_no_object]).toEqual([expected.empty.n, expected.empty.n_std_lt_10, expected.empty.n_no_object]);
    expect(e.min_std).toBeCloseTo(expected.empty.min_std, 9);
    e.std.forEach((s, i) => expect(Math.abs(s - expected.empty.std[i])).toBeLessThanOrEqual(0.005 + 1e-9));
    e.object_fraction.forEach((f, i) => expect(Math.abs(f - expected.empty.object_fraction[i])).toBeLessThanOrEqual(5e-5 + 1e-12));

    for (const key of ['within', 'between', 'between_over_within', 'within_over_between'] as const) {
      expect(got.variety[key]).toBeCloseTo(expected.variety[key], 10);
    }
    expect(got.variety.within_per_class).toHaveLength(24);
  });

  it('takes every pair of seeds into the within-class distance when a class has more than two', () => {
    // Two classes x three seeds of 1-value "pictures": class 0 at 0, 3, 4; class 1 at 10, 10, 16.
    const f = [0, 3, 4, 10, 10, 16].map((v) => Float64Array.of(v));
    const v = variety(f, 3);
    expect(v.within_per_class).toEqual([(3 + 4 + 1) / 3, (0 + 6 + 6) / 3]);
    expect(v.within).toBeCloseTo((8 / 3 + 4) / 2, 12);
    // Between: same seed, different classes: |0-10|, |3-10|, |4-16|.
    expect(v.between).toBeCloseTo((10 + 7 + 12) / 3, 12);
  });
});
