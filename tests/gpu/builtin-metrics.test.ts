/**
 * Issue 13's figures of the built-in model come from one measurement through the engine:
 * `npm run builtin:metrics` (tests/support/measure-builtin.ts) runs eval_builtin.py's protocol,
 * 24 classes x seeds 0, 1, DDIM 50, guidance 1 and 4, on the committed weights (11-14 minutes on
 * SwiftShader here, too long for every CI run) and writes public/models/builtin/engine-metrics.json,
 * which the model card shows. This test ties that record to the weights and to the engine: it
 * belongs to the committed weights (their hash), and the engine, run now, makes the same pictures
 * for a sample of its classes (same pixel spread, same rank of the own class).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_DIR } from '../../src/cli/builtin-model.ts';
import {
  EVAL_SAMPLER, EVAL_STEPS, type EngineMetricsReport, loadBuiltinTemplates, protocolPictures, VARIETY_GUIDANCE, VARIETY_SEEDS, weightsIdentity,
} from '../support/builtin-eval.ts';
import { EVAL_SEEDS, pictureMetrics, rgbOf } from '../support/builtin-metrics.ts';
import { useBrowserHost } from '../support/gpu-host.ts';

const host = useBrowserHost();
const record = JSON.parse(readFileSync(`${BUILTIN_DIR}engine-metrics.json`, 'utf8')) as EngineMetricsReport;
/** Issue 13, at guidance 4: the own class first for 60 % of the pictures, in the top 5 for 90 %. */
const MIN_TOP1 = 0.6;
const MIN_TOP5 = 0.9;
/** No empty frame: pixel standard deviation (0..255) at least this, and a visible object in each. */
const MIN_STD = 10;
/**
 * Two seeds of a class differ visibly: their 8x8-pooled pictures (0..1) further apart than an RMS
 * difference of 8 levels of 255 over the 192 pooled values.
 */
const VISIBLE_FLOOR = (Math.sqrt(8 * 8 * 3) * 8) / 255;
/**
 * Issue 13's aim for the variety: classes at least 2.5x further apart than the seeds of a class, at
 * guidance 4. Read over seeds 0-5 (15 pairs a class): over seeds 0, 1 alone the within-class mean
 * rests on 24 pairs and moves by a few tenths between draws of noise.
 */
const MIN_BETWEEN_OVER_WITHIN = 2.5;
/** Which of the record's classes are sampled again (the first and one from the middle of the spread). */
const SAMPLED = [0, 12];

describe('built-in model: the engine measurement of the model card', () => {
  it('was made on the committed weights, with the protocol of eval_builtin.py', () => {
    const id = weightsIdentity();
    expect(record.weights_sha256, 'engine-metrics.json is stale: run npm run builtin:metrics').toBe(id.sha256);
    expect(record.train_steps).toBe(id.trainSteps);
    expect(record.classes).toHaveLength(24);
    expect(record.seeds).toEqual(EVAL_SEEDS);
    expect(Object.keys(record.guidance).sort()).toEqual(['1', '4']);
    for (const g of Object.values(record.guidance)) expect(g.recognition.ranks).toHaveLength(48);
    expect(record.variety_seeds.seeds).toEqual(VARIETY_SEEDS);
    expect(record.variety_seeds.guidance).toBe(VARIETY_GUIDANCE);
    expect(record.variety_seeds.within_per_class).toHaveLength(24);
  });

  it('meets issue 13\'s targets: no empty frame, recognisable, seeds differ, guidance sharpens', () => {
    const g4 = record.guidance['4'];
    const g1 = record.guidance['1'];
    expect.soft(g4.empty.min_std, 'smallest pixel std (0..255) at guidance 4').toBeGreaterThanOrEqual(MIN_STD);
    expect.soft(g4.empty.n_no_object, 'pictures without a visible object at guidance 4').toBe(0);
    expect.soft(g4.recognition.top1, 'own class first (trained designs) at guidance 4').toBeGreaterThanOrEqual(MIN_TOP1);
    expect.soft(g4.recognition.top5, 'own class in the top 5 (trained designs) at guidance 4').toBeGreaterThanOrEqual(MIN_TOP5);
    expect.soft(Math.min(...g4.variety.within_per_class), 'closest two seeds of a class at guidance 4').toBeGreaterThan(VISIBLE_FLOOR);
    expect.soft(record.variety_seeds.between_over_within, `between / within over seeds ${VARIETY_SEEDS} at guidance 4`).toBeGreaterThanOrEqual(MIN_BETWEEN_OVER_WITHIN);
    // The slider does what it says: without guidance the seeds of a class lie further apart and
    // the pictures are less often their class.
    expect.soft(g1.variety.within, 'within-class distance, guidance 1 vs 4').toBeGreaterThan(g4.variety.within);
    expect.soft(g1.recognition.top5, 'top-5, guidance 1 vs 4').toBeLessThan(g4.recognition.top5);
  });

  it('is what the engine makes now (2 of its classes x 2 seeds at guidance 4, DDIM 50)', async () => {
    await host().api.engine.load({ kind: 'builtin' });
    const classes = SAMPLED.map((i) => record.classes[i]);
    const { images } = await host().api.engine.generateBatch({ pictures: protocolPictures(classes, 4), steps: EVAL_STEPS, sampler: EVAL_SAMPLER });
    const labels = classes.flatMap((c) => EVAL_SEEDS.map(() => c));
    const now = pictureMetrics(images.map((f) => rgbOf(f.rgba)), labels, EVAL_SEEDS.length, loadBuiltinTemplates());
    const was = record.guidance['4'];
    const at = (i: number) => SAMPLED[Math.floor(i / EVAL_SEEDS.length)] * EVAL_SEEDS.length + (i % EVAL_SEEDS.length);
    now.empty.std.forEach((std, i) => expect(std, `picture ${i}: pixel std`).toBeCloseTo(was.empty.std[at(i)], 1));
    // A batch equals its single runs within ±1 per channel, which can swap two near-equal distances.
    now.recognition.ranks.forEach((rank, i) => expect(Math.abs(rank - was.recognition.ranks[at(i)]), `picture ${i}: rank of its class`).toBeLessThanOrEqual(1));
  });
});
