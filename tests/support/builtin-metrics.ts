/**
 * Issue 13's metrics of the built-in model, exactly as tools/builtin/eval_builtin.py computes them
 * (its picture_metrics), from 8-bit HWC pictures: empty frames, recognition against the trained
 * designs and the held-out one, variety between and within classes. The result keeps the
 * Python JSON's key names, so the model card reads either.
 */
import { type SafetensorsFile, toInt32 } from '../../src/weights/safetensors.ts';
import { blockSums, POOL } from './recognition.ts';

/** eval_builtin.py's protocol: 24 classes x seeds 0, 1, DDIM 50 steps (eta 0), guidance 1 and 4. */
export const EVAL_CLASSES = 24;
export const EVAL_SEEDS = [0, 1];
export const EVAL_GUIDANCE = [1, 4];
const SIDE = 32;
/** A picture shows an object when at least this share of its pixels is an object pixel... */
const OBJECT_SHARE = 0.05;
/** ...a pixel more than this far below white in some channel. */
const OBJECT_DEPTH = 48;

/** The 8x8-pooled renderings of every design (tests/fixtures/builtin/emoji-templates.safetensors). */
export interface Templates {
  designNames: string[];
  heldOut: string;
  classIds: Int32Array;
  design: Uint8Array;
  /** Row i: rendering i pooled to 8x8x3, 0..1 (eval_builtin.pooled). */
  pooled: Float64Array[];
}

/** A block sum → eval_builtin.pooled's value: the block mean / 255, rounded the same way. */
const pooledValue = (sum: number): number => sum / (POOL * POOL) / 255;

/** HWC bytes of a 32x32 picture → its 8x8x3 pooled features, 0..1. */
export const pooled01 = (hwc: ArrayLike<number>): Float64Array => Float64Array.from(blockSums(hwc, SIDE), pooledValue);

export function loadTemplates(file: SafetensorsFile): Templates {
  const meta = file.header.metadata ?? {};
  const sums = file.raw('block_sums');
  if (sums.dtype !== 'I16') throw new Error(`block_sums is ${sums.dtype}, expected I16`);
  const view = new DataView(sums.bytes.buffer, sums.bytes.byteOffset, sums.bytes.byteLength);
  const per = sums.shape.slice(1).reduce((a, b) => a * b, 1);
  const pooledRows = Array.from({ length: sums.shape[0] }, (_, i) =>
    Float64Array.from({ length: per }, (_, k) => pooledValue(view.getInt16((i * per + k) * 2, true))));
  return {
    designNames: JSON.parse(meta.design_names) as string[],
    heldOut: meta.held_out,
    classIds: toInt32(file.raw('class_ids')),
    design: file.raw('design').bytes.slice(),
    pooled: pooledRows,
  };
}

/** The rows of the held-out design, or of every other (the trained designs). */
function rowsOf(t: Templates, heldOut: boolean): number[] {
  const held = t.designNames.indexOf(t.heldOut);
  if (held < 0) throw new Error(`held-out design "${t.heldOut}" is not among ${t.designNames}`);
  return [...t.classIds.keys()].filter((i) => (t.design[i] === held) === heldOut);
}

/** The class ids of the trained designs, sorted. */
export const trainedClasses = (t: Templates): number[] =>
  [...new Set(rowsOf(t, false).map((i) => t.classIds[i]))].sort((a, b) => a - b);

/** Python's round(): halves to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** eval_builtin's classes: `n` spread evenly over the sorted trained ids, trained[round(i (T-1)/(n-1))]. */
export const evalClasses = (trained: number[], n = EVAL_CLASSES): number[] =>
  Array.from({ length: n }, (_, i) => trained[roundHalfEven((i * (trained.length - 1)) / (n - 1))]);

function distance(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

/** Rank (0 = nearest) of each picture's own class among `classes`, by each class's best distance over `rows`. */
function ranks(pictures: Float64Array[], labels: number[], t: Templates, rows: number[], classes: number[]): number[] {
  const column = new Map(classes.map((c, k) => [c, k]));
  return pictures.map((p, n) => {
    const best = new Float64Array(classes.length).fill(Infinity);
    for (const i of rows) {
      const k = column.get(t.classIds[i]);
      if (k !== undefined) best[k] = Math.min(best[k], distance(p, t.pooled[i]));
    }
    const k = column.get(labels[n]);
    if (k === undefined || best[k] === Infinity) throw new Error(`class ${labels[n]} has no rendering to compare with`);
    const own = best[k];
    return best.filter((d) => d < own).length;
  });
}

export interface RankStats {
  top1: number;
  top5: number;
  mean_rank: number;
  ranks: number[];
}

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

function rankStats(r: number[]): RankStats {
  return { top1: mean(r.map((x) => +(x < 1))), top5: mean(r.map((x) => +(x < 5))), mean_rank: mean(r), ranks: r };
}

export interface EmptyFrames {
  min_std: number;
  n_std_lt_10: number;
  n_no_object: number;
  n: number;
  /** Pixel standard deviation (0..255, all pixels and channels) per picture. */
  std: number[];
  /** Share of object pixels per picture. */
  object_fraction: number[];
}

function emptyFrames(pictures: Uint8Array[]): EmptyFrames {
  const std = pictures.map((p) => {
    const m = mean(p);
    return Math.sqrt(mean(Float64Array.from(p, (v) => (v - m) ** 2)));
  });
  const objectFraction = pictures.map((p) => {
    let n = 0;
    for (let i = 0; i < p.length; i += 3) if (255 - Math.min(p[i], p[i + 1], p[i + 2]) > OBJECT_DEPTH) n++;
    return n / (p.length / 3);
  });
  return {
    min_std: Math.min(...std), n_std_lt_10: std.filter((s) => s < 10).length,
    n_no_object: objectFraction.filter((f) => f < OBJECT_SHARE).length, n: pictures.length, std, object_fraction: objectFraction,
  };
}

export interface Variety {
  /** Mean distance between two seeds of a class (all pairs of its seeds; with seeds 0, 1 the one pair, as eval_builtin.py). */
  within: number;
  /** Mean distance between pictures of different classes with the same seed (all pairs, all seeds). */
  between: number;
  between_over_within: number;
  within_over_between: number;
  /** The within distance of each class. */
  within_per_class: number[];
}

/** Between and within-class distances of pooled pictures, class-major with `nSeeds` (≥ 2) consecutive pictures per class. */
export function variety(features: Float64Array[], nSeeds: number): Variety {
  const nClasses = features.length / nSeeds;
  const at = (c: number, s: number) => features[c * nSeeds + s];
  const seedPairs: [number, number][] = [];
  for (let a = 0; a < nSeeds; a++) for (let b = a + 1; b < nSeeds; b++) seedPairs.push([a, b]);
  const perClass = Array.from({ length: nClasses }, (_, c) => mean(seedPairs.map(([a, b]) => distance(at(c, a), at(c, b)))));
  const pairs: number[] = [];
  for (let s = 0; s < nSeeds; s++) for (let i = 0; i < nClasses; i++) for (let j = i + 1; j < nClasses; j++) pairs.push(distance(at(i, s), at(j, s)));
  const within = mean(perClass);
  const between = mean(pairs);
  return { within, between, between_over_within: between / within, within_over_between: within / between, within_per_class: perClass };
}

export interface PictureMetrics {
  empty: EmptyFrames;
  /** Against the trained designs' renderings. */
  recognition: RankStats;
  /** Against the held-out design's renderings. */
  held_out: RankStats;
  variety: Variety;
}

/**
 * eval_builtin.picture_metrics: `pictures` (32x32x3 bytes) class-major, `nSeeds` consecutive
 * pictures per class, `labels` their classes; ranks among all trained classes.
 */
export function pictureMetrics(pictures: Uint8Array[], labels: number[], nSeeds: number, t: Templates): PictureMetrics {
  if (pictures.length !== labels.length || pictures.length % nSeeds !== 0 || nSeeds < 2) {
    throw new Error(`${pictures.length} pictures, ${labels.length} labels: expected ${nSeeds} (≥ 2) per class`);
  }
  for (const p of pictures) if (p.length !== SIDE * SIDE * 3) throw new Error(`a picture has ${p.length} bytes, expected 32x32x3`);
  const features = pictures.map(pooled01);
  const classes = trainedClasses(t);
  return {
    empty: emptyFrames(pictures),
    recognition: rankStats(ranks(features, labels, t, rowsOf(t, false), classes)),
    held_out: rankStats(ranks(features, labels, t, rowsOf(t, true), classes)),
    variety: variety(features, nSeeds),
  };
}

/** An RGBA frame's RGB bytes (HWC). */
export function rgbOf(rgba: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array((rgba.length / 4) * 3);
  for (let i = 0, o = 0; i < rgba.length; i += 4) { out[o++] = rgba[i]; out[o++] = rgba[i + 1]; out[o++] = rgba[i + 2]; }
  return out;
}
