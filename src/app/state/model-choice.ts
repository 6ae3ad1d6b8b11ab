/**
 * Which model Generate uses: the built-in one, a Hub repository (from the settings, or from the
 * page address, which wins until the user chooses a model), or local files; the engine spec and
 * the identity of that choice; and the user's model choices, all through one rule
 * ({@link chooseModel}) for how the model chosen by the page address gives way.
 */
import type { AdapterSummary, ModelInfo, ModelSpec } from '../../engine/api';
import { modelIdentity } from '../../engine/model-identity';
import { DEFAULT_HUB_URL, ditRepoForSize, knownHubModel, type DitImageSize } from '../../model/hub-models';
import type { GalleryItem, ModelRef } from '../gallery';
import { applySettings, type ModelChoice, type Precision, type Settings } from './settings';

/** The user's Hub model as given by URL parameters; not persisted, wins over the settings. */
export interface UrlModel {
  hubUrl: string;
  repo: string;
  revision: string;
}

export interface LocalFiles {
  transformer?: File;
  transformerConfig?: File;
  vae?: File;
  vaeConfig?: File;
  /** Files that were dropped/picked but not recognised. */
  ignored: string[];
}

/** The part of the studio's state that says which model is selected. */
export interface ModelSelection {
  settings: Settings;
  urlModel: UrlModel | null;
}

/** ...and what the engine needs to load it. */
export interface ModelSelectionWithFiles extends ModelSelection {
  localFiles: LocalFiles | null;
  engine: { adapter: AdapterSummary | null };
}

/** The model picker's entries: the known DiT-XL/2 repos by image size, any other Hub repo, files. */
export type DitChoice = `dit-${DitImageSize}`;
export type PickerChoice = 'builtin' | DitChoice | 'custom' | 'files';

/** The identity of the built-in model (its `ModelInfo.id` once loaded). */
export const BUILTIN_MODEL_KEY = modelIdentity({ kind: 'builtin' });

export function hasF16(s: { engine: { adapter: AdapterSummary | null } }): boolean {
  return !!s.engine.adapter?.features.includes('shader-f16');
}

export function effectivePrecision(s: Pick<ModelSelectionWithFiles, 'engine' | 'settings'>): Precision {
  return s.settings.precision === 'f16' && hasF16(s) ? 'f16' : 'f32';
}

/** The model Generate will use: URL parameters first, then the settings. */
export function effectiveModel(s: ModelSelection): ModelRef {
  if (s.urlModel) return { kind: 'hub', hubUrl: s.urlModel.hubUrl, repo: s.urlModel.repo, revision: s.urlModel.revision };
  const st = s.settings;
  if (st.model === 'hub') return { kind: 'hub', hubUrl: st.hubUrl, repo: st.hubRepo, revision: st.hubRevision };
  if (st.model === 'files') return { kind: 'files', name: 'local files' };
  return { kind: 'builtin' };
}

/** The ModelSpec to load, or an error message when it cannot be built (no local files chosen). */
export function modelSpec(s: ModelSelectionWithFiles): ModelSpec | string {
  const m = effectiveModel(s);
  const dtype = effectivePrecision(s);
  if (m.kind === 'builtin') return { kind: 'builtin' };
  if (m.kind === 'hub') return { kind: 'hub', hubUrl: m.hubUrl, repo: m.repo, revision: m.revision, dtype };
  const f = s.localFiles;
  if (!f?.transformer) return 'Choose the model files first: a DiT transformer .safetensors file (and optionally the VAE and config.json files).';
  return { kind: 'files', transformer: f.transformer, transformerConfig: f.transformerConfig, vae: f.vae, vaeConfig: f.vaeConfig, dtype };
}

/** The selected model's identity (the engine's {@link modelIdentity}), or null while it cannot be loaded. */
export function modelKey(s: ModelSelectionWithFiles): string | null {
  const spec = modelSpec(s);
  return typeof spec === 'string' ? null : modelIdentity(spec);
}

/** The loaded model when it is the one selected, else null. */
export function loadedModel(s: ModelSelectionWithFiles & { model: ModelInfo | null }): ModelInfo | null {
  return s.model && s.model.id === modelKey(s) ? s.model : null;
}

/** The loaded model when it is the built-in one (selected or not), else null. */
export function loadedBuiltin(s: { model: ModelInfo | null }): ModelInfo | null {
  return s.model?.id === BUILTIN_MODEL_KEY ? s.model : null;
}

/** The image size of the selected Hub model when it is a known one (null: built-in, files, other repos). */
export function selectedHubSize(s: ModelSelection): DitImageSize | null {
  const m = effectiveModel(s);
  return m.kind === 'hub' ? (knownHubModel(m.repo)?.imageSize ?? null) : null;
}

export function pickerChoice(ref: ModelRef): PickerChoice {
  if (ref.kind !== 'hub') return ref.kind;
  const known = knownHubModel(ref.repo);
  return known ? `dit-${known.imageSize}` : 'custom';
}

// ---------------------------------------------------------------------------------------------
// The user's model choices

/**
 * The one rule for the model chosen by the page address: every model choice the user makes
 * replaces it, and is a settings change like any other (validated, persisted).
 */
export function chooseModel(s: ModelSelection, patch: Partial<Settings>): ModelSelection {
  return { urlModel: null, settings: applySettings(s.settings, patch) };
}

/** An edit of the Hub model shown (its fields, its size) starts from that model: the URL's when it is shown. */
function editShownHubModel(s: ModelSelection, patch: Partial<Settings>): ModelSelection {
  const shown = s.urlModel ? { hubUrl: s.urlModel.hubUrl, hubRepo: s.urlModel.repo, hubRevision: s.urlModel.revision } : {};
  return chooseModel(s, { ...shown, model: 'hub', ...patch });
}

/** The model picker: a known DiT-XL/2 repo by size, 'custom' keeps the Hub repo as typed. */
export function modelPicked(s: ModelSelection, choice: ModelChoice | PickerChoice): ModelSelection {
  if (choice === 'custom') return chooseModel(s, { model: 'hub' });
  if (choice.startsWith('dit-')) {
    const size = Number(choice.slice(4)) as DitImageSize;
    return chooseModel(s, { model: 'hub', size, hubRepo: ditRepoForSize(size) });
  }
  return chooseModel(s, { model: choice as ModelChoice });
}

export function hubEdited(s: ModelSelection, hub: Partial<Pick<Settings, 'hubUrl' | 'hubRepo' | 'hubRevision'>>): ModelSelection {
  return editShownHubModel(s, hub);
}

/** The image size: picks the known repo of that size when one is shown (and keeps any other repo). */
export function sizePicked(s: ModelSelection, size: DitImageSize): ModelSelection {
  const shown = effectiveModel(s);
  if (shown.kind === 'hub' && knownHubModel(shown.repo)) return editShownHubModel(s, { size, hubRepo: ditRepoForSize(size) });
  const repo = knownHubModel(s.settings.hubRepo) ? { hubRepo: ditRepoForSize(size) } : {};
  return { urlModel: s.urlModel, settings: applySettings(s.settings, { size, ...repo }) };
}

/** Local files picked (a model choice) or cleared (the model choice stays). */
export function filesPicked(s: ModelSelection): ModelSelection {
  return chooseModel(s, { model: 'files' });
}

/** A gallery item's parameters and, unless it was made from local files, its model. */
export function restoredFromGallery(s: ModelSelection, item: GalleryItem): ModelSelection {
  const p = item.params;
  // An item without a blend turns the blend off: the restored settings make that picture again.
  const blend = p.blend ? { blendClassId: p.blend.classId, blendWeight: p.blend.weight } : { blendClassId: null };
  const params = { classId: p.classId, cfgScale: p.cfgScale, steps: p.steps, sampler: p.sampler, seed: p.seed, ...blend };
  const m = item.model;
  if (m.kind === 'builtin') return chooseModel(s, { ...params, model: 'builtin' });
  if (m.kind === 'hub') {
    const size = item.width === 256 || item.width === 512 ? { size: item.width as DitImageSize } : {};
    return chooseModel(s, { ...params, model: 'hub', hubUrl: m.hubUrl, hubRepo: m.repo, hubRevision: m.revision, ...size });
  }
  return { urlModel: s.urlModel, settings: applySettings(s.settings, params) };
}

/** `?hub=URL&repo=ORG/NAME&revision=REV` (repo is required; hub defaults to huggingface.co). */
export function urlModelFromSearch(search: string): UrlModel | null {
  const q = new URLSearchParams(search);
  const repo = q.get('repo')?.trim();
  const hub = q.get('hub')?.trim();
  if (!repo && !hub) return null;
  return {
    hubUrl: hub || DEFAULT_HUB_URL,
    repo: repo || ditRepoForSize(256),
    revision: q.get('revision')?.trim() || 'main',
  };
}
