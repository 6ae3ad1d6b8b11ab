/**
 * The app's state (zustand): the user's settings (persisted to localStorage), the engine and
 * model status, the current run (progress, frames for the scrubber, the final image) and the
 * gallery. The controller (./controller.ts) drives the run actions; components call the setters.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { createJSONStorage, persist, type StateStorage } from 'zustand/middleware';
import type {
  AdapterSummary,
  Frame,
  GenerateParams,
  GenerateResult,
  LoadProgress,
  ModelInfo,
  ModelSpec,
  SamplerName,
  StepUpdate,
} from '../worker/api';
import { className, isClassId, NUM_IMAGENET_CLASSES } from '../data/imagenet';
import type { GalleryItem, ModelRef } from './gallery';
import { downscaleFrame } from './gallery';

export type ModelChoice = 'builtin' | 'hub' | 'files';
export type Precision = 'f32' | 'f16';
export type ImageSize = 256 | 512;

export interface Settings {
  classId: number;
  cfgScale: number;
  steps: number;
  sampler: SamplerName;
  seed: number;
  /** Image size of the DiT-XL/2 Hub model (the built-in model has its own, smaller size). */
  size: ImageSize;
  /** Preferred precision; f16 is used only when the adapter has `shader-f16`. */
  precision: Precision;
  model: ModelChoice;
  hubUrl: string;
  hubRepo: string;
  hubRevision: string;
}

export const SAMPLERS: { value: SamplerName; label: string; defaultSteps: number }[] = [
  { value: 'ddpm', label: 'DDPM', defaultSteps: 250 },
  { value: 'ddim', label: 'DDIM', defaultSteps: 50 },
  { value: 'dpm++', label: 'DPM-Solver++ (few steps)', defaultSteps: 20 },
];

export const CFG_MIN = 1;
export const CFG_MAX = 10;
export const STEPS_MIN = 1;
export const STEPS_MAX = 1000;
export const SEED_MAX = 0xffffffff;
export const DEFAULT_HUB_URL = 'https://huggingface.co';
export const DIT_REPOS: Record<ImageSize, string> = { 256: 'facebook/DiT-XL-2-256', 512: 'facebook/DiT-XL-2-512' };

export const DEFAULT_SETTINGS: Settings = {
  classId: 207, // golden retriever
  cfgScale: 4.0,
  steps: 50,
  sampler: 'ddim',
  seed: 0,
  size: 256,
  precision: 'f32',
  model: 'builtin',
  hubUrl: DEFAULT_HUB_URL,
  hubRepo: DIT_REPOS[256],
  hubRevision: 'main',
};

export type RunStatus = 'idle' | 'loading' | 'running' | 'done' | 'error';

export interface FinishedRun {
  params: GenerateParams;
  model: ModelRef;
  modelId: string;
  modelName: string;
  elapsedMs: number;
}

export interface RunState {
  status: RunStatus;
  /** The visible error of the last run (cleared when the next one starts). */
  error: string | null;
  /** A short note such as "Cancelled." */
  notice: string | null;
  loadProgress: LoadProgress | null;
  /** Parameters of the run in progress (while loading/running), else of the last one started. */
  activeParams: GenerateParams | null;
  step: number;
  total: number;
  stepsPerSecond: number;
  /** 0..1 for the whole run (downloading counts as the first part when there is one). */
  progress: number;
  /** Every step's preview (downscaled to at most 256 px) for the scrubber. */
  frames: Frame[];
  /** The step shown by the scrubber, 1-based; null follows the run (the last step / final image). */
  scrubStep: number | null;
  /** The last finished image of this session, and how it was made. */
  finalImage: Frame | null;
  result: FinishedRun | null;
}

export type EngineStatus = 'starting' | 'ready' | 'unavailable';

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

export interface StudioState {
  settings: Settings;
  urlModel: UrlModel | null;
  localFiles: LocalFiles | null;
  engine: { status: EngineStatus; error: string | null; adapter: AdapterSummary | null };
  /** The model the engine has loaded (null before the first load). */
  model: ModelInfo | null;
  modelKey: string | null;
  run: RunState;
  gallery: GalleryItem[];

  // settings
  setClassId(id: number): void;
  setCfgScale(v: number): void;
  setSteps(v: number): void;
  setSampler(s: SamplerName): void;
  setSeed(v: number): void;
  randomizeSeed(): void;
  setSize(s: ImageSize): void;
  setPrecision(p: Precision): void;
  /** 'dit-256' / 'dit-512' select the DiT-XL/2 Hub repos; 'custom' keeps the Hub repo as typed. */
  selectModel(choice: ModelChoice | 'dit-256' | 'dit-512' | 'custom'): void;
  setHub(hub: Partial<{ hubUrl: string; hubRepo: string; hubRevision: string }>): void;
  setLocalFiles(files: LocalFiles | null): void;
  applyUrlModel(m: UrlModel | null): void;
  restoreFromGallery(item: GalleryItem): void;
  setScrubStep(step: number | null): void;

  // engine/model/run, driven by the controller
  engineStarting(): void;
  engineReady(adapter: AdapterSummary): void;
  engineUnavailable(message: string): void;
  modelLoaded(info: ModelInfo, key: string): void;
  modelForgotten(): void;
  modelCacheCleared(): void;
  runStarted(params: GenerateParams, loading: boolean): void;
  runLoadProgress(p: LoadProgress): void;
  runGenerating(params: GenerateParams): void;
  runStep(s: StepUpdate): void;
  runFinished(result: GenerateResult, model: FinishedRun['model'], modelName: string): void;
  runCancelled(): void;
  runFailed(message: string): void;
  clearError(): void;
  setGallery(items: GalleryItem[]): void;
}

export type StudioStore = StoreApi<StudioState>;

const INITIAL_RUN: RunState = {
  status: 'idle',
  error: null,
  notice: null,
  loadProgress: null,
  activeParams: null,
  step: 0,
  total: 0,
  stepsPerSecond: 0,
  progress: 0,
  frames: [],
  scrubStep: null,
  finalImage: null,
  result: null,
};

// ---------------------------------------------------------------------------------------------
// Validation (settings come from localStorage, URL parameters and inputs)

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

export function randomSeed(): number {
  if (typeof crypto !== 'undefined' && crypto.getRandomValues) return crypto.getRandomValues(new Uint32Array(1))[0];
  return Math.floor(Math.random() * SEED_MAX);
}

export function defaultStepsFor(sampler: SamplerName): number {
  return SAMPLERS.find((s) => s.value === sampler)?.defaultSteps ?? DEFAULT_SETTINGS.steps;
}

function str(v: unknown, fallback: string): string {
  return typeof v === 'string' && v.trim() ? v.trim() : fallback;
}

/** Settings from untrusted data (old versions, hand edits): every field checked, defaults for the rest. */
export function sanitizeSettings(raw: unknown): Settings {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const d = DEFAULT_SETTINGS;
  const num = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() ? Number(v) : NaN);
  const model = r.model === 'hub' ? 'hub' : 'builtin'; // local files cannot survive a reload
  return {
    classId: isClassId(num(r.classId)) ? num(r.classId) : d.classId,
    cfgScale: Number.isFinite(num(r.cfgScale)) ? clampCfg(num(r.cfgScale)) : d.cfgScale,
    steps: Number.isFinite(num(r.steps)) ? clampSteps(num(r.steps)) : d.steps,
    sampler: SAMPLERS.some((s) => s.value === r.sampler) ? (r.sampler as SamplerName) : d.sampler,
    seed: Number.isFinite(num(r.seed)) ? clampSeed(num(r.seed)) : d.seed,
    size: r.size === 512 ? 512 : 256,
    precision: r.precision === 'f16' ? 'f16' : 'f32',
    model,
    hubUrl: str(r.hubUrl, d.hubUrl),
    hubRepo: str(r.hubRepo, d.hubRepo),
    hubRevision: str(r.hubRevision, d.hubRevision),
  };
}

// ---------------------------------------------------------------------------------------------
// Derived values

export function hasF16(s: Pick<StudioState, 'engine'>): boolean {
  return !!s.engine.adapter?.features.includes('shader-f16');
}

export function effectivePrecision(s: Pick<StudioState, 'engine' | 'settings'>): Precision {
  return s.settings.precision === 'f16' && hasF16(s) ? 'f16' : 'f32';
}

/** The model Generate will use: URL parameters first, then the settings. */
export function effectiveModel(s: Pick<StudioState, 'settings' | 'urlModel'>): ModelRef {
  if (s.urlModel) return { kind: 'hub', hubUrl: s.urlModel.hubUrl, repo: s.urlModel.repo, revision: s.urlModel.revision };
  const st = s.settings;
  if (st.model === 'hub') return { kind: 'hub', hubUrl: st.hubUrl, repo: st.hubRepo, revision: st.hubRevision };
  if (st.model === 'files') return { kind: 'files', name: 'local files' };
  return { kind: 'builtin' };
}

/** The ModelSpec to load, or an error message when it cannot be built (no local files chosen). */
export function modelSpec(s: Pick<StudioState, 'settings' | 'urlModel' | 'localFiles' | 'engine'>): ModelSpec | string {
  const m = effectiveModel(s);
  const dtype = effectivePrecision(s);
  if (m.kind === 'builtin') return { kind: 'builtin' };
  if (m.kind === 'hub') return { kind: 'hub', hubUrl: m.hubUrl, repo: m.repo, revision: m.revision, dtype };
  const f = s.localFiles;
  if (!f?.transformer) return 'Choose the model files first: a DiT transformer .safetensors file (and optionally the VAE and config.json files).';
  return {
    kind: 'files',
    transformer: f.transformer,
    transformerConfig: f.transformerConfig,
    vae: f.vae,
    vaeConfig: f.vaeConfig,
    dtype,
  };
}

let filesVersion = 0;
const filesIds = new WeakMap<LocalFiles, number>();

/** Identifies a ModelSpec: the same key means the loaded model can be reused. */
export function modelKey(s: Pick<StudioState, 'settings' | 'urlModel' | 'localFiles' | 'engine'>): string {
  const m = effectiveModel(s);
  const dtype = effectivePrecision(s);
  if (m.kind === 'builtin') return 'builtin';
  if (m.kind === 'hub') return `hub|${m.hubUrl}|${m.repo}|${m.revision}|${dtype}`;
  const f = s.localFiles;
  if (!f) return 'files|none';
  if (!filesIds.has(f)) filesIds.set(f, ++filesVersion);
  return `files|${filesIds.get(f)}|${dtype}`;
}

/** Known classes of the loaded model when it is the one selected (the built-in model knows a subset). */
export function knownClasses(s: Pick<StudioState, 'model' | 'modelKey' | 'settings' | 'urlModel' | 'localFiles' | 'engine'>): number[] | null {
  if (!s.model?.knownClasses?.length) return null;
  if (s.modelKey !== modelKey(s)) return null;
  return s.model.knownClasses;
}

const classRanges = new Map<number, number[]>();

/**
 * The class ids the selected model can make, once it is loaded: the built-in model's trained
 * subset, or 0..numClasses-1 for a model with fewer than the 1000 ImageNet classes. Null when
 * every ImageNet class works, or when the selected model is not loaded yet (its classes are
 * unknown until then). The same array for the same model (a stable selector result).
 */
export function modelClasses(s: Pick<StudioState, 'model' | 'modelKey' | 'settings' | 'urlModel' | 'localFiles' | 'engine'>): number[] | null {
  const known = knownClasses(s);
  if (known) return known;
  const n = s.model?.numClasses;
  if (!n || n >= NUM_IMAGENET_CLASSES || !Number.isInteger(n) || s.modelKey !== modelKey(s)) return null;
  let ids = classRanges.get(n);
  if (!ids) classRanges.set(n, (ids = Array.from({ length: n }, (_, i) => i)));
  return ids;
}

/** Why a loaded model cannot make this class (a message for the user), or null when it can. */
export function classOutsideModel(classId: number, info: Pick<ModelInfo, 'numClasses' | 'knownClasses'>): string | null {
  const known = info.knownClasses;
  if (known?.length && !known.includes(classId)) {
    return `This model does not know class ${classId} (${className(classId)}). Pick one of its ${known.length} classes.`;
  }
  if (classId >= info.numClasses) {
    return `This model has ${info.numClasses} classes (ids 0–${info.numClasses - 1}); class ${classId} (${className(classId)}) is not one of them. Pick one of its classes.`;
  }
  return null;
}

export function isDitRepo(repo: string): boolean {
  return repo === DIT_REPOS[256] || repo === DIT_REPOS[512];
}

/** The image size the selected Hub model makes, when known from its name (null: built-in, files, other repos). */
export function selectedHubSize(s: Pick<StudioState, 'settings' | 'urlModel'>): ImageSize | null {
  const m = effectiveModel(s);
  if (m.kind !== 'hub') return null;
  if (m.repo === DIT_REPOS[512]) return 512;
  if (m.repo === DIT_REPOS[256]) return 256;
  return null;
}

export function isBusy(s: Pick<StudioState, 'run'>): boolean {
  return s.run.status === 'loading' || s.run.status === 'running';
}

/**
 * Whether releasing the guidance slider should start a new image: only once an image has been
 * finished in this session, and only if the guidance differs from the image being made (when a run
 * is in progress, which is then cancelled) or from the image shown.
 */
export function shouldRegenerateOnRelease(s: Pick<StudioState, 'run' | 'settings' | 'engine'>): boolean {
  if (s.engine.status === 'unavailable') return false;
  if (!s.run.result) return false;
  const cfg = s.settings.cfgScale;
  if (isBusy(s)) return s.run.activeParams?.cfgScale !== cfg;
  return s.run.result.params.cfgScale !== cfg;
}

export function paramsFromSettings(s: Settings): GenerateParams {
  return { classId: s.classId, cfgScale: s.cfgScale, steps: s.steps, sampler: s.sampler, seed: s.seed };
}

// ---------------------------------------------------------------------------------------------

/** localStorage when it works, else a throwaway in-memory storage. */
export function defaultStorage(): StateStorage {
  try {
    const ls = globalThis.localStorage;
    const probe = '__dit_studio_probe__';
    ls.setItem(probe, '1');
    ls.removeItem(probe);
    return {
      getItem: (k) => ls.getItem(k),
      setItem: (k, v) => {
        try {
          ls.setItem(k, v);
        } catch {
          // quota or privacy mode: keep going without persistence
        }
      },
      removeItem: (k) => ls.removeItem(k),
    };
  } catch {
    const m = new Map<string, string>();
    return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v), removeItem: (k) => void m.delete(k) };
  }
}

export const SETTINGS_KEY = 'dit-studio:settings';
const MAX_FRAME_SIDE = 256;

export function createStudioStore(storage: StateStorage = defaultStorage()): StudioStore {
  return createStore<StudioState>()(
    persist(
      (set, get) => {
        const setSettings = (patch: Partial<Settings>) => set((s) => ({ settings: { ...s.settings, ...patch } }));
        return {
          settings: { ...DEFAULT_SETTINGS },
          urlModel: null,
          localFiles: null,
          engine: { status: 'starting', error: null, adapter: null },
          model: null,
          modelKey: null,
          run: { ...INITIAL_RUN },
          gallery: [],

          setClassId: (id) => {
            if (isClassId(id)) setSettings({ classId: id });
          },
          setCfgScale: (v) => setSettings({ cfgScale: clampCfg(v) }),
          setSteps: (v) => setSettings({ steps: clampSteps(v) }),
          setSampler: (sampler) => {
            const { settings } = get();
            // Keep a hand-picked step count; move the default along with the sampler.
            const steps = settings.steps === defaultStepsFor(settings.sampler) ? defaultStepsFor(sampler) : settings.steps;
            setSettings({ sampler, steps });
          },
          setSeed: (v) => setSettings({ seed: clampSeed(v) }),
          randomizeSeed: () => setSettings({ seed: randomSeed() }),
          setSize: (size) => {
            const { settings, urlModel } = get();
            if (urlModel && isDitRepo(urlModel.repo)) {
              // Picking the other size takes over from the URL parameters (same hub and revision).
              set({ urlModel: null });
              setSettings({ size, model: 'hub', hubUrl: urlModel.hubUrl, hubRepo: DIT_REPOS[size], hubRevision: urlModel.revision });
              return;
            }
            setSettings({ size, ...(isDitRepo(settings.hubRepo) ? { hubRepo: DIT_REPOS[size] } : {}) });
          },
          setPrecision: (precision) => setSettings({ precision }),
          selectModel: (choice) => {
            set({ urlModel: null });
            if (choice === 'dit-256' || choice === 'dit-512') {
              const size = choice === 'dit-256' ? 256 : 512;
              setSettings({ model: 'hub', size, hubRepo: DIT_REPOS[size] });
            } else if (choice === 'custom') {
              setSettings({ model: 'hub' });
            } else {
              setSettings({ model: choice });
            }
          },
          setHub: (hub) => {
            const { urlModel, settings } = get();
            // Editing the Hub fields takes over from URL parameters.
            const base = urlModel
              ? { hubUrl: urlModel.hubUrl, hubRepo: urlModel.repo, hubRevision: urlModel.revision }
              : { hubUrl: settings.hubUrl, hubRepo: settings.hubRepo, hubRevision: settings.hubRevision };
            set({ urlModel: null });
            setSettings({ ...base, ...hub, model: 'hub' });
          },
          setLocalFiles: (files) => {
            set({ localFiles: files, urlModel: files ? null : get().urlModel });
            if (files) setSettings({ model: 'files' });
          },
          applyUrlModel: (m) => set({ urlModel: m }),
          restoreFromGallery: (item) => {
            const p = item.params;
            const patch: Partial<Settings> = {
              classId: isClassId(p.classId) ? p.classId : get().settings.classId,
              cfgScale: clampCfg(p.cfgScale),
              steps: clampSteps(p.steps),
              sampler: SAMPLERS.some((s) => s.value === p.sampler) ? p.sampler : get().settings.sampler,
              seed: clampSeed(p.seed),
            };
            if (item.model.kind === 'builtin') {
              patch.model = 'builtin';
              set({ urlModel: null });
            } else if (item.model.kind === 'hub') {
              Object.assign(patch, { model: 'hub', hubUrl: item.model.hubUrl, hubRepo: item.model.repo, hubRevision: item.model.revision });
              if (item.width === 256 || item.width === 512) patch.size = item.width;
              set({ urlModel: null });
            }
            setSettings(patch);
          },
          setScrubStep: (step) => set((s) => ({ run: { ...s.run, scrubStep: step } })),

          engineStarting: () => set({ engine: { status: 'starting', error: null, adapter: null } }),
          engineReady: (adapter) => set({ engine: { status: 'ready', error: null, adapter } }),
          engineUnavailable: (message) => set({ engine: { status: 'unavailable', error: message, adapter: null } }),
          modelLoaded: (info, key) => {
            set({ model: info, modelKey: key });
            // The built-in model knows only some classes: move to one it knows.
            const known = info.knownClasses;
            const { settings } = get();
            if (key === 'builtin' && known?.length && !known.includes(settings.classId)) {
              setSettings({ classId: known.includes(DEFAULT_SETTINGS.classId) ? DEFAULT_SETTINGS.classId : known[0] });
            }
          },
          modelForgotten: () => set({ model: null, modelKey: null }),
          modelCacheCleared: () => set((s) => ({ model: s.model ? { ...s.model, cached: false } : null })),
          runStarted: (params, loading) =>
            set((s) => ({
              run: {
                ...s.run,
                status: loading ? 'loading' : 'running',
                error: null,
                notice: null,
                loadProgress: null,
                activeParams: params,
                step: 0,
                total: params.steps,
                stepsPerSecond: 0,
                progress: 0,
                frames: [],
                scrubStep: null,
              },
            })),
          runLoadProgress: (p) =>
            set((s) => ({
              run: {
                ...s.run,
                loadProgress: p,
                progress: p.totalBytes > 0 ? Math.min(1, p.loadedBytes / p.totalBytes) : s.run.progress,
              },
            })),
          runGenerating: (params) =>
            set((s) => ({
              run: { ...s.run, status: 'running', activeParams: params, total: params.steps, progress: 0, step: 0 },
            })),
          runStep: (u) =>
            set((s) => ({
              run: {
                ...s.run,
                step: u.step,
                total: u.total,
                stepsPerSecond: u.stepsPerSecond,
                progress: u.total > 0 ? u.step / u.total : 0,
                frames: [...s.run.frames, downscaleFrame(u.preview, MAX_FRAME_SIDE)],
              },
            })),
          runFinished: (result, model, modelName) =>
            set((s) => ({
              run: {
                ...s.run,
                status: 'done',
                error: null,
                notice: null,
                step: result.params.steps,
                total: result.params.steps,
                progress: 1,
                scrubStep: null,
                finalImage: result.image,
                result: { params: result.params, model, modelId: result.modelId, modelName, elapsedMs: result.elapsedMs },
              },
            })),
          runCancelled: () =>
            set((s) => ({ run: { ...s.run, status: 'idle', notice: 'Cancelled.', loadProgress: null } })),
          runFailed: (message) =>
            set((s) => ({ run: { ...s.run, status: 'error', error: message, notice: null, loadProgress: null } })),
          clearError: () => set((s) => ({ run: { ...s.run, error: null, status: s.run.status === 'error' ? 'idle' : s.run.status } })),
          setGallery: (items) => set({ gallery: items }),
        };
      },
      {
        name: SETTINGS_KEY,
        version: 1,
        storage: createJSONStorage(() => storage),
        partialize: (s) => ({ settings: s.settings }),
        merge: (persisted, current) => ({
          ...current,
          settings: sanitizeSettings((persisted as { settings?: unknown } | undefined)?.settings),
        }),
      },
    ),
  );
}

/** `?hub=URL&repo=ORG/NAME&revision=REV` (repo is required; hub defaults to huggingface.co). */
export function urlModelFromSearch(search: string): UrlModel | null {
  const q = new URLSearchParams(search);
  const repo = q.get('repo')?.trim();
  const hub = q.get('hub')?.trim();
  if (!repo && !hub) return null;
  return {
    hubUrl: hub || DEFAULT_HUB_URL,
    repo: repo || DIT_REPOS[256],
    revision: q.get('revision')?.trim() || 'main',
  };
}
