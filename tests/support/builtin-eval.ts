/**
 * eval_builtin.py's protocol run through the engine: the built-in model loaded as the app and
 * `dit generate --model builtin` load it, eval_builtin's 24 classes x seeds 0, 1 sampled by
 * `Engine.generateBatch` with DDIM 50 steps at guidance 1 and 4 (each picture what
 * `dit generate --model builtin --class C --seed S --cfg G --steps 50 --sampler ddim` makes),
 * then measured by builtin-metrics.ts. Shared by tests/gpu/builtin-metrics.test.ts and
 * `npm run builtin:metrics`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BUILTIN_WEIGHTS } from '../../src/cli/builtin-model.ts';
import type { EngineApi } from '../../src/engine/api.ts';
import { SafetensorsFile } from '../../src/weights/safetensors.ts';
import {
  EVAL_GUIDANCE, EVAL_SEEDS, evalClasses, loadTemplates, type PictureMetrics, pictureMetrics, pooled01, rgbOf, type Templates, trainedClasses,
  type Variety, variety,
} from './builtin-metrics.ts';
import { loadSafetensors } from './fixtures.ts';

export const EVAL_STEPS = 50;
export const EVAL_SAMPLER = 'ddim';
/**
 * The variety ratio again over more seeds of the same classes at guidance 4: with two seeds the
 * within-class mean rests on 24 pairs, and two draws of engine noise measured 2.17 and 2.49 on
 * the same weights; six seeds give 15 pairs per class (360 in all).
 */
export const VARIETY_SEEDS = [0, 1, 2, 3, 4, 5];
export const VARIETY_GUIDANCE = 4;

/** `variety_seeds` of the report: the variety of the protocol's classes over VARIETY_SEEDS. */
export interface SeedsVariety extends Variety {
  guidance: number;
  seeds: number[];
  sample_s: number;
}

export interface GuidanceReport extends PictureMetrics {
  /** Seconds for the batch's sampling run, as Node sees it. */
  sample_s: number;
}

/** The JSON of `npm run builtin:metrics` (public/models/builtin/engine-metrics.json): eval_builtin.py's keys. */
export interface EngineMetricsReport {
  source: string;
  weights_sha256: string;
  train_steps: number | null;
  adapter: string;
  classes: number[];
  seeds: number[];
  sampler: string;
  n_trained_classes: number;
  chance: { top1: number; top5: number; mean_rank: number };
  guidance: Record<string, GuidanceReport>;
  variety_seeds: SeedsVariety;
  wall_s: number;
}

export const loadBuiltinTemplates = (): Templates => loadTemplates(loadSafetensors('builtin/emoji-templates.safetensors'));

/** The committed built-in weights: the first 12 hex digits of their sha256, and their training step. */
export function weightsIdentity(): { sha256: string; trainSteps: number | null } {
  const bytes = readFileSync(BUILTIN_WEIGHTS);
  const steps = Number(SafetensorsFile.fromBytes(bytes).header.metadata?.train_steps);
  return { sha256: createHash('sha256').update(bytes).digest('hex').slice(0, 12), trainSteps: Number.isFinite(steps) ? steps : null };
}

/** The protocol's pictures at one guidance scale, class-major (seeds of a class consecutive). */
export const protocolPictures = (classes: number[], cfgScale: number, seeds = EVAL_SEEDS) => classes.flatMap((classId) => seeds.map((seed) => ({ classId, seed, cfgScale })));

/** Pictures per generateBatch call: the protocol's 48 (96 model rows with guidance). */
const BATCH = 48;

/** The variety over VARIETY_SEEDS: the protocol's pictures at VARIETY_GUIDANCE (seeds 0, 1) and the other seeds sampled now. */
async function seedsVariety(engine: Pick<EngineApi, 'generateBatch'>, classes: number[], protocol: Uint8Array[]): Promise<SeedsVariety> {
  const t0 = performance.now();
  const extra = VARIETY_SEEDS.filter((s) => !EVAL_SEEDS.includes(s));
  const pictures = protocolPictures(classes, VARIETY_GUIDANCE, extra);
  const sampled: Uint8Array[] = [];
  for (let k = 0; k < pictures.length; k += BATCH) {
    const { images } = await engine.generateBatch({ pictures: pictures.slice(k, k + BATCH), steps: EVAL_STEPS, sampler: EVAL_SAMPLER });
    sampled.push(...images.map((f) => rgbOf(f.rgba)));
  }
  // Class-major over VARIETY_SEEDS: each class's protocol seeds, then its extra ones.
  const bySeed = (c: number, seed: number) => {
    const p = EVAL_SEEDS.indexOf(seed);
    return p >= 0 ? protocol[c * EVAL_SEEDS.length + p] : sampled[c * extra.length + extra.indexOf(seed)];
  };
  const features = classes.flatMap((_, c) => VARIETY_SEEDS.map((seed) => pooled01(bySeed(c, seed))));
  return { guidance: VARIETY_GUIDANCE, seeds: VARIETY_SEEDS, sample_s: (performance.now() - t0) / 1000, ...variety(features, VARIETY_SEEDS.length) };
}

/** Loads the built-in model in `engine` and measures it at every guidance scale of the protocol. */
export async function measureBuiltin(engine: Pick<EngineApi, 'init' | 'load' | 'generateBatch'>, templates: Templates): Promise<EngineMetricsReport> {
  const t0 = performance.now();
  const adapter = await engine.init();
  await engine.load({ kind: 'builtin' });
  const trained = trainedClasses(templates);
  const classes = evalClasses(trained);
  const labels = classes.flatMap((c) => EVAL_SEEDS.map(() => c));
  const guidance: Record<string, GuidanceReport> = {};
  let atVarietyGuidance: Uint8Array[] = [];
  for (const cfgScale of EVAL_GUIDANCE) {
    const ts = performance.now();
    // 48 pictures, 96 model rows with guidance: one run (dit generate batches up to 128 of this model's pictures).
    const { images } = await engine.generateBatch({
      pictures: protocolPictures(classes, cfgScale),
      steps: EVAL_STEPS, sampler: EVAL_SAMPLER,
    });
    const sampleS = (performance.now() - ts) / 1000;
    for (const f of images) if (f.width !== 32 || f.height !== 32) throw new Error(`the built-in model made a ${f.width}x${f.height} picture, expected 32x32`);
    const rgb = images.map((f) => rgbOf(f.rgba));
    if (cfgScale === VARIETY_GUIDANCE) atVarietyGuidance = rgb;
    guidance[String(cfgScale)] = { sample_s: sampleS, ...pictureMetrics(rgb, labels, EVAL_SEEDS.length, templates) };
  }
  const varietySeeds = await seedsVariety(engine, classes, atVarietyGuidance);
  const id = weightsIdentity();
  const n = trained.length;
  return {
    source: 'public/models/builtin/dit-builtin.safetensors', weights_sha256: id.sha256, train_steps: id.trainSteps,
    adapter: [adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' / '),
    classes, seeds: EVAL_SEEDS, sampler: `${EVAL_SAMPLER} ${EVAL_STEPS} steps (eta 0, respacing "${EVAL_STEPS}"), engine noise (Philox seeds)`,
    n_trained_classes: n, chance: { top1: 1 / n, top5: 5 / n, mean_rank: (n - 1) / 2 }, guidance, variety_seeds: varietySeeds, wall_s: (performance.now() - t0) / 1000,
  };
}

const f3 = (x: number) => x.toFixed(3);

/** A compact table of every figure, one block per guidance scale. */
export function formatReport(r: EngineMetricsReport): string {
  const lines = [
    `${r.source} (sha256 ${r.weights_sha256}, step ${r.train_steps ?? '?'}) on ${r.adapter}`,
    `${r.classes.length} classes x seeds ${r.seeds.join(',')}, ${r.sampler}; chance: top-1 ${f3(r.chance.top1)}  top-5 ${f3(r.chance.top5)}  mean rank ${r.chance.mean_rank.toFixed(1)}`,
  ];
  for (const [g, m] of Object.entries(r.guidance)) {
    const e = m.empty;
    const v = m.variety;
    lines.push(
      `guidance ${g} (${m.sample_s.toFixed(0)} s sampling)`,
      `  empty frames: min std ${e.min_std.toFixed(1)}, std<10: ${e.n_std_lt_10}/${e.n}, no visible object: ${e.n_no_object}/${e.n}`,
      `  trained designs : top-1 ${f3(m.recognition.top1)}  top-5 ${f3(m.recognition.top5)}  mean rank ${m.recognition.mean_rank.toFixed(1)}`,
      `  held-out twemoji: top-1 ${f3(m.held_out.top1)}  top-5 ${f3(m.held_out.top5)}  mean rank ${m.held_out.mean_rank.toFixed(1)}`,
      `  variety (8x8 pooled, 0..1 L2): within ${f3(v.within)} (min ${f3(Math.min(...v.within_per_class))})  between ${f3(v.between)}  ` +
        `between/within ${v.between_over_within.toFixed(2)}  within/between ${f3(v.within_over_between)}`,
    );
  }
  const vs = r.variety_seeds;
  lines.push(`variety over seeds ${vs.seeds.join(',')} at guidance ${vs.guidance} (${vs.sample_s.toFixed(0)} s sampling): within ${f3(vs.within)} ` +
    `(min ${f3(Math.min(...vs.within_per_class))})  between ${f3(vs.between)}  between/within ${vs.between_over_within.toFixed(2)}`);
  lines.push(`wall time ${r.wall_s.toFixed(1)} s`);
  return lines.join('\n');
}

/** The report as JSON, per-picture figures rounded as eval_builtin.py writes them. */
export function reportJson(r: EngineMetricsReport): string {
  const round = (xs: number[], places: number) => xs.map((x) => Number(x.toFixed(places)));
  const guidance = Object.fromEntries(Object.entries(r.guidance).map(([g, m]) => [g, {
    ...m,
    empty: { ...m.empty, std: round(m.empty.std, 2), object_fraction: round(m.empty.object_fraction, 4) },
    variety: { ...m.variety, within_per_class: round(m.variety.within_per_class, 4) },
  }]));
  const vs = { ...r.variety_seeds, within_per_class: round(r.variety_seeds.within_per_class, 4) };
  return `${JSON.stringify({ ...r, guidance, variety_seeds: vs }, null, 1)}\n`;
}
