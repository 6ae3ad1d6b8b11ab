/**
 * Exploring the model: what Generate makes (one picture, or several in one batched run: a guidance
 * sweep, a seed grid, a blend strip), which of a batch's pictures is the current one, and which of
 * the model's predictions the denoising view shows. Not persisted: a reload (or a shared link)
 * starts with a single picture.
 */
import type { GenerateParams, PictureParams } from '../../engine/api';
import { clampCfg, SEED_MAX, type Settings } from './settings';

export type ExploreMode = 'single' | 'sweep' | 'grid' | 'strip';
export type BatchKind = Exclude<ExploreMode, 'single'>;

/** What the denoising view shows at each step: the clean estimate x̂₀, the noisy sample x_t, the predicted noise ε. */
export type PredictionView = 'x0' | 'xt' | 'eps';

export interface ExploreSettings {
  mode: ExploreMode;
  /** The guidance scales of a sweep, ascending, each a valid guidance scale. */
  sweepScales: number[];
  /** Pictures in a seed grid. */
  gridSize: number;
  /** Pictures in a blend strip, from weight 0 to 1. */
  stripCount: number;
  view: PredictionView;
}

export const EXPLORE_MODES: { value: ExploreMode; label: string }[] = [
  { value: 'single', label: 'Single' },
  { value: 'sweep', label: 'Guidance sweep' },
  { value: 'grid', label: 'Seed grid' },
  { value: 'strip', label: 'Blend strip' },
];

export const PREDICTION_VIEWS: { value: PredictionView; label: string; description: string }[] = [
  { value: 'x0', label: 'x̂₀', description: 'the clean image the model predicts' },
  { value: 'xt', label: 'x_t', description: 'the noisy sample at this step' },
  { value: 'eps', label: 'ε', description: 'the noise the model predicts' },
];

export const GRID_SIZES = [4, 9] as const;
export const STRIP_COUNTS = [3, 5, 7, 9] as const;
export const SWEEP_MIN = 2;
export const SWEEP_MAX = 8;

export const DEFAULT_EXPLORE: ExploreSettings = { mode: 'single', sweepScales: [1, 2, 4, 8], gridSize: 4, stripCount: 5, view: 'x0' };

/**
 * Guidance scales typed by the user ("1, 2, 4, 8"): each clamped into the slider's range and
 * rounded as the slider rounds, duplicates dropped, ascending. Null unless 2–8 numbers remain.
 */
export function parseSweepScales(text: string): number[] | null {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  if (parts.some((p) => !Number.isFinite(Number(p)))) return null;
  const scales = [...new Set(parts.map((p) => clampCfg(Number(p))))].sort((a, b) => a - b);
  return scales.length >= SWEEP_MIN && scales.length <= SWEEP_MAX ? scales : null;
}

export function formatSweepScales(scales: number[]): string {
  return scales.join(', ');
}

/** The valid part of explore settings from a control; anything else is left out. */
export function validExplore(raw: Readonly<Record<string, unknown>>): Partial<ExploreSettings> {
  const out: Partial<ExploreSettings> = {};
  if (EXPLORE_MODES.some((m) => m.value === raw.mode)) out.mode = raw.mode as ExploreMode;
  if (PREDICTION_VIEWS.some((v) => v.value === raw.view)) out.view = raw.view as PredictionView;
  if (Array.isArray(raw.sweepScales)) {
    const scales = parseSweepScales(raw.sweepScales.join(','));
    if (scales) out.sweepScales = scales;
  }
  if ((GRID_SIZES as readonly unknown[]).includes(raw.gridSize)) out.gridSize = raw.gridSize as number;
  if ((STRIP_COUNTS as readonly unknown[]).includes(raw.stripCount)) out.stripCount = raw.stripCount as number;
  return out;
}

/** The pictures of one batched run, with the label shown under each. */
export interface BatchPlan {
  kind: BatchKind;
  pictures: PictureParams[];
  labels: string[];
}

/** Blend weights 0 … 1 in `count` even steps. */
export function stripWeights(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i / (count - 1));
}

/** `count` seeds from `seed` on (wrapping past the largest seed). */
export function gridSeeds(seed: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => (seed + i) % (SEED_MAX + 1));
}

export const SWEEP_LABEL = (cfg: number) => `guidance ${cfg}`;
export const GRID_LABEL = (seed: number) => `seed ${seed}`;
export const STRIP_LABEL = (w: number) => `w ${w.toFixed(2)}`;

/**
 * The pictures a batched run makes from the picture the settings describe: the same class, seed
 * and blend at several guidance scales (sweep); consecutive seeds (grid); the blend weight from 0
 * to 1 (strip). A message instead when the settings cannot make one (a strip without a second class).
 */
export function batchPlan(kind: BatchKind, params: GenerateParams, explore: ExploreSettings): BatchPlan | string {
  const { classId, cfgScale, seed, blend } = params;
  const base: PictureParams = blend ? { classId, cfgScale, seed, blend } : { classId, cfgScale, seed };
  switch (kind) {
    case 'sweep':
      return { kind, pictures: explore.sweepScales.map((s) => ({ ...base, cfgScale: s })), labels: explore.sweepScales.map(SWEEP_LABEL) };
    case 'grid': {
      const seeds = gridSeeds(seed, explore.gridSize);
      return { kind, pictures: seeds.map((s) => ({ ...base, seed: s })), labels: seeds.map(GRID_LABEL) };
    }
    case 'strip': {
      if (!blend) return 'A blend strip needs a second class: pick one under “Blend with”.';
      const weights = stripWeights(explore.stripCount);
      return { kind, pictures: weights.map((w) => ({ ...base, blend: { classId: blend.classId, weight: w } })), labels: weights.map(STRIP_LABEL) };
    }
  }
}

/** Index of the value nearest `v` (the first of two equally near). */
export function nearestIndex(values: readonly number[], v: number): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (Math.abs(values[i] - v) < Math.abs(values[best] - v)) best = i;
  return best;
}

/**
 * The current picture of a batch follows the settings, so the controls and the cells agree: the
 * sweep's scale nearest the guidance slider (dragging it flips through the sweep at once), the
 * grid's cell with the seed in the seed field (else the first), the strip's weight nearest the
 * blend weight.
 */
export function selectedCell(plan: BatchPlan, settings: Pick<Settings, 'cfgScale' | 'seed' | 'blendWeight'>): number {
  const p = plan.pictures;
  switch (plan.kind) {
    case 'sweep':
      return nearestIndex(p.map((x) => x.cfgScale), settings.cfgScale);
    case 'grid':
      return Math.max(0, p.findIndex((x) => x.seed === settings.seed));
    case 'strip':
      return nearestIndex(p.map((x) => x.blend?.weight ?? 0), settings.blendWeight);
  }
}

/** The settings that make cell `index` the current picture (what clicking it sets). */
export function cellSettings(plan: BatchPlan, index: number): Partial<Settings> {
  const p = plan.pictures[index];
  if (!p) return {};
  switch (plan.kind) {
    case 'sweep':
      return { cfgScale: p.cfgScale };
    case 'grid':
      return { seed: p.seed };
    case 'strip':
      return { blendWeight: p.blend?.weight ?? 0 };
  }
}

/** Whether a guidance scale is one the sweep has already made. */
export function sweepHasScale(plan: BatchPlan | null | undefined, cfg: number): boolean {
  return plan?.kind === 'sweep' && plan.pictures.some((p) => p.cfgScale === cfg);
}
