/**
 * Links that reproduce a picture: the model (built-in, or Hub repo + revision + precision), the
 * class and blend, seed, guidance, steps, sampler and size as query parameters of the app's
 * address. Opening one restores those settings, and Generate then makes the same picture (bit for
 * bit on the same adapter). Links come from anywhere, so every value goes through the settings'
 * own validation; a bad or missing value falls back to the default, and nothing throws.
 *
 *   ?model=builtin&class=291&blend=292&w=0.5&seed=7&cfg=4&steps=50&sampler=ddim
 *   ?repo=facebook/DiT-XL-2-256&revision=main&size=256&dtype=f16&class=207&…   (hub= when not huggingface.co)
 */
import type { GenerateParams } from '../../engine/api';
import { DEFAULT_HUB_URL } from '../../model/hub-models';
import type { ModelRef } from '../gallery';
import { urlModelFromSearch, type UrlModel } from './model-choice';
import { DEFAULT_SETTINGS, validSettings, type Precision, type Settings } from './settings';

/** What a link describes. */
export interface LinkedPicture {
  model: ModelRef;
  params: GenerateParams;
  /** The image side (sent for Hub models, whose repo may come in two sizes). */
  size?: number;
  /** The weights' precision (Hub models; f16 makes other pictures than f32). */
  precision?: Precision;
}

/** The page the links point at: this page's address without its query. */
export function pageBase(): string {
  return typeof location === 'undefined' ? '' : `${location.origin}${location.pathname}`;
}

/** The link to a picture, or null for a model from local files (a link cannot carry them). */
export function pictureLink(base: string, picture: LinkedPicture): string | null {
  const { model, params: p } = picture;
  if (model.kind === 'files') return null;
  const q = new URLSearchParams();
  if (model.kind === 'builtin') q.set('model', 'builtin');
  else {
    if (model.hubUrl !== DEFAULT_HUB_URL) q.set('hub', model.hubUrl);
    q.set('repo', model.repo);
    q.set('revision', model.revision);
    if (picture.size === 256 || picture.size === 512) q.set('size', String(picture.size));
    if (picture.precision === 'f16') q.set('dtype', 'f16');
  }
  q.set('class', String(p.classId));
  if (p.blend) {
    q.set('blend', String(p.blend.classId));
    q.set('w', String(p.blend.weight));
  }
  q.set('seed', String(p.seed));
  q.set('cfg', String(p.cfgScale));
  q.set('steps', String(p.steps));
  q.set('sampler', p.sampler);
  return `${base}?${q}`;
}

/** The settings a link restores, and its Hub model (null: the built-in model). */
export interface LinkSettings {
  settings: Partial<Settings>;
  urlModel: UrlModel | null;
}

/** The picture fields a link always sets: missing or bad ones become the defaults. */
const PICTURE_DEFAULTS = {
  classId: DEFAULT_SETTINGS.classId,
  cfgScale: DEFAULT_SETTINGS.cfgScale,
  steps: DEFAULT_SETTINGS.steps,
  sampler: DEFAULT_SETTINGS.sampler,
  seed: DEFAULT_SETTINGS.seed,
  blendClassId: null,
  blendWeight: DEFAULT_SETTINGS.blendWeight,
} satisfies Partial<Settings>;

/** The settings of a picture link in a page address' query, or null when it is not one (no `class`). */
export function settingsFromLink(search: string): LinkSettings | null {
  const q = new URLSearchParams(search);
  if (!q.has('class')) return null;
  const raw: Record<string, unknown> = {};
  const take = (key: string, field: keyof Settings, convert: (v: string) => unknown = (v) => v) => {
    const v = q.get(key);
    if (v !== null && v.trim() !== '') raw[field] = convert(v);
  };
  take('class', 'classId');
  take('cfg', 'cfgScale');
  take('steps', 'steps');
  take('sampler', 'sampler');
  take('seed', 'seed');
  take('blend', 'blendClassId');
  take('w', 'blendWeight');
  take('size', 'size', Number);
  const valid = validSettings(raw);
  // A blend weight without a (valid) second class means nothing: no blend.
  const settings: Partial<Settings> = { ...PICTURE_DEFAULTS, ...valid };
  if (settings.blendClassId === null) settings.blendWeight = PICTURE_DEFAULTS.blendWeight;
  const urlModel = urlModelFromSearch(search);
  if (urlModel) settings.precision = q.get('dtype') === 'f16' ? 'f16' : 'f32';
  else settings.model = 'builtin';
  return { settings, urlModel };
}
