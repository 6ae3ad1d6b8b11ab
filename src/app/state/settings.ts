/**
 * The user's settings and their validation. Every value that enters from outside — a control, the
 * stored settings of an earlier visit, a gallery item being restored — goes through
 * {@link validSettings}, one rule per field; nothing else checks them again.
 */
import type { ClassBlend, GenerateParams } from '../../engine/api';
import type { DitImageSize } from '../../model/hub-models';
import { DEFAULT_HUB_URL, ditRepoForSize } from '../../model/hub-models';
import { SAMPLER_KINDS, isSamplerKind, type SamplerKind } from '../../sampling/sampler-kind';
import { isClassId } from '../../data/imagenet';

/** Where the weights come from: the built-in model, a Hub repository, or files the user picked. */
export type ModelChoice = 'builtin' | 'hub' | 'files';
export type Precision = 'f32' | 'f16';

export interface Settings {
  classId: number;
  cfgScale: number;
  steps: number;
  sampler: SamplerKind;
  seed: number;
  /** The second class of a class blend (null: no blend). */
  blendClassId: number | null;
  /** How much of the second class, in [0, 1]: 0 is the class itself, 1 the second class. */
  blendWeight: number;
  /** Image size of the DiT-XL/2 Hub model (the built-in model has its own, smaller size). */
  size: DitImageSize;
  /** Preferred precision; f16 is used only when the adapter has `shader-f16`. */
  precision: Precision;
  model: ModelChoice;
  hubUrl: string;
  hubRepo: string;
  hubRevision: string;
}

/** How the app shows each sampler, keyed by the engine's names. */
export const SAMPLER_INFO: Record<SamplerKind, { label: string; defaultSteps: number }> = {
  ddpm: { label: 'DDPM', defaultSteps: 250 },
  ddim: { label: 'DDIM', defaultSteps: 50 },
  'dpm++': { label: 'DPM-Solver++ (few steps)', defaultSteps: 20 },
};

/** The samplers in the engine's order, for the sampler menu. */
export const SAMPLERS: { value: SamplerKind; label: string; defaultSteps: number }[] = SAMPLER_KINDS.map((value) => ({
  value,
  ...SAMPLER_INFO[value],
}));

/** A sampler's short label ("DDPM", "DPM-Solver++"), or the name itself when it is not one of ours. */
export function samplerLabel(name: string): string {
  return isSamplerKind(name) ? SAMPLER_INFO[name].label.split(' ')[0] : name;
}

export const CFG_MIN = 1;
export const CFG_MAX = 10;
export const STEPS_MIN = 1;
export const STEPS_MAX = 1000;
export const SEED_MAX = 0xffffffff;
export const BLEND_WEIGHT_MIN = 0;
export const BLEND_WEIGHT_MAX = 1;

export const DEFAULT_SETTINGS: Settings = {
  classId: 291, // lion: the built-in model draws it well (tools/builtin/best_classes.py: own class first for 4 of 4 seeds)
  cfgScale: 4.0,
  steps: 50,
  sampler: 'ddim',
  seed: 0,
  blendClassId: null,
  blendWeight: 0.5,
  size: 256,
  precision: 'f32',
  model: 'builtin',
  hubUrl: DEFAULT_HUB_URL,
  hubRepo: ditRepoForSize(256),
  hubRevision: 'main',
};

export function clampCfg(v: number): number {
  if (!Number.isFinite(v)) return DEFAULT_SETTINGS.cfgScale;
  return Math.round(Math.min(CFG_MAX, Math.max(CFG_MIN, v)) * 10) / 10;
}

export function clampSteps(v: number): number {
  if (!Number.isFinite(v)) return DEFAULT_SETTINGS.steps;
  return Math.round(Math.min(STEPS_MAX, Math.max(STEPS_MIN, v)));
}

export function clampSeed(v: number): number {
  if (!Number.isFinite(v)) return 0;
  return Math.min(SEED_MAX, Math.max(0, Math.floor(v)));
}

/** A blend weight in [0, 1]; not rounded: a strip's weights (0.125, …) must reach the engine exactly. */
export function clampBlendWeight(v: number): number {
  if (!Number.isFinite(v)) return DEFAULT_SETTINGS.blendWeight;
  return Math.min(BLEND_WEIGHT_MAX, Math.max(BLEND_WEIGHT_MIN, v));
}

export function randomSeed(): number {
  if (typeof crypto !== 'undefined' && crypto.getRandomValues) return crypto.getRandomValues(new Uint32Array(1))[0];
  return Math.floor(Math.random() * SEED_MAX);
}

export function defaultStepsFor(sampler: SamplerKind): number {
  return SAMPLER_INFO[sampler]?.defaultSteps ?? DEFAULT_SETTINGS.steps;
}

/** A number from a control or from stored JSON (numeric strings count), else NaN. */
function toNumber(v: unknown): number {
  return typeof v === 'number' ? v : typeof v === 'string' && v.trim() ? Number(v) : NaN;
}

/** A class id that entered from outside: the id when it is an ImageNet class, else null. */
export function validClassId(v: unknown): number | null {
  const id = toNumber(v);
  return isClassId(id) ? id : null;
}

function nonEmpty(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

/**
 * The valid part of settings that came from outside, one rule per field. A field that is absent
 * or invalid is left out (the caller keeps what it had), except that guidance, steps and seed are
 * clamped into range and fall back to their defaults when they are not numbers at all.
 */
export function validSettings(raw: Readonly<Record<string, unknown>>): Partial<Settings> {
  const out: Partial<Settings> = {};
  const has = (k: keyof Settings) => Object.prototype.hasOwnProperty.call(raw, k);
  const classId = validClassId(raw.classId);
  if (classId !== null) out.classId = classId;
  if (has('cfgScale')) out.cfgScale = clampCfg(toNumber(raw.cfgScale));
  if (has('steps')) out.steps = clampSteps(toNumber(raw.steps));
  if (isSamplerKind(raw.sampler)) out.sampler = raw.sampler;
  if (has('seed')) out.seed = clampSeed(toNumber(raw.seed));
  // null turns the blend off; anything else must be a class id.
  const blendClassId = raw.blendClassId === null ? null : validClassId(raw.blendClassId);
  if (raw.blendClassId === null || blendClassId !== null) out.blendClassId = blendClassId;
  if (has('blendWeight')) out.blendWeight = clampBlendWeight(toNumber(raw.blendWeight));
  if (raw.size === 256 || raw.size === 512) out.size = raw.size;
  if (raw.precision === 'f32' || raw.precision === 'f16') out.precision = raw.precision;
  if (raw.model === 'builtin' || raw.model === 'hub' || raw.model === 'files') out.model = raw.model;
  const hubUrl = nonEmpty(raw.hubUrl);
  if (hubUrl) out.hubUrl = hubUrl;
  const hubRepo = nonEmpty(raw.hubRepo);
  if (hubRepo) out.hubRepo = hubRepo;
  const hubRevision = nonEmpty(raw.hubRevision);
  if (hubRevision) out.hubRevision = hubRevision;
  return out;
}

/** The settings with the valid part of `patch` applied. */
export function applySettings(settings: Settings, patch: Readonly<Record<string, unknown>>): Settings {
  return { ...settings, ...validSettings(patch) };
}

/** The settings patch for choosing a sampler: a hand-picked step count stays, the default moves along. */
export function samplerPatch(settings: Settings, sampler: SamplerKind): Partial<Settings> {
  const steps = settings.steps === defaultStepsFor(settings.sampler) ? defaultStepsFor(sampler) : settings.steps;
  return { sampler, steps };
}

/** The class blend the settings ask for, if any. */
export function blendFromSettings(s: Pick<Settings, 'blendClassId' | 'blendWeight'>): ClassBlend | undefined {
  return s.blendClassId === null ? undefined : { classId: s.blendClassId, weight: s.blendWeight };
}

export function paramsFromSettings(s: Settings): GenerateParams {
  const params: GenerateParams = { classId: s.classId, cfgScale: s.cfgScale, steps: s.steps, sampler: s.sampler, seed: s.seed };
  const blend = blendFromSettings(s);
  return blend ? { ...params, blend } : params;
}
