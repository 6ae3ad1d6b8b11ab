/**
 * The app's state (zustand), put together from its parts in ./state/: the user's settings
 * (validated where they enter, persisted to localStorage), the model choice, the engine and the
 * loaded model, the current run (driven by the run machine) and the gallery. The controller
 * (./controller.ts) reports the engine's events; components call the setters.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { persist, type StateStorage } from 'zustand/middleware';
import type { AdapterSummary, ModelInfo } from '../engine/api';
import type { KernelProgress } from '../engine/kernel-prep';
import type { DitImageSize } from '../model/hub-models';
import type { SamplerKind } from '../sampling/sampler-kind';
import type { GalleryItem } from './gallery';
import type { EngineState } from './run-machine';
import { classForLoadedModel } from './state/classes';
import { cellSettings, DEFAULT_EXPLORE, validExplore, type ExploreSettings } from './state/explore';
import type { LinkSettings } from './state/link';
import {
  filesPicked,
  hubEdited,
  modelPicked,
  restoredFromGallery,
  sizePicked,
  type LocalFiles,
  type ModelSelection,
  type PickerChoice,
  type UrlModel,
} from './state/model-choice';
import { defaultStorage, settingsPersistence } from './state/persistence';
import { INITIAL_RUN, reduceRun, type RunAction, type RunState } from './state/run';
import { applySettings, DEFAULT_SETTINGS, randomSeed, samplerPatch, type ModelChoice, type Precision, type Settings } from './state/settings';

export interface StudioState {
  settings: Settings;
  urlModel: UrlModel | null;
  localFiles: LocalFiles | null;
  engine: EngineState;
  /** The model the engine has loaded (null before the first load); its `id` is its model identity. */
  model: ModelInfo | null;
  /** What the weight loader told the user during the last model load (e.g. a damaged cached file fetched again). */
  weightsNotices: string[];
  /** The GPU kernels being compiled for the next run (null: none). */
  kernels: KernelProgress | null;
  run: RunState;
  gallery: GalleryItem[];
  /** What Generate makes (one picture or a batch) and what the denoising view shows; not persisted. */
  explore: ExploreSettings;

  // settings
  setClassId(id: number): void;
  setCfgScale(v: number): void;
  setSteps(v: number): void;
  setSampler(s: SamplerKind): void;
  setSeed(v: number): void;
  randomizeSeed(): void;
  /** The second class of a blend; null turns the blend off. */
  setBlendClassId(id: number | null): void;
  setBlendWeight(w: number): void;
  setSize(s: DitImageSize): void;
  setPrecision(p: Precision): void;
  /** 'dit-256' / 'dit-512' select the DiT-XL/2 Hub repos; 'custom' keeps the Hub repo as typed. */
  selectModel(choice: ModelChoice | PickerChoice): void;
  setHub(hub: Partial<{ hubUrl: string; hubRepo: string; hubRevision: string }>): void;
  setLocalFiles(files: LocalFiles | null): void;
  applyUrlModel(m: UrlModel | null): void;
  restoreFromGallery(item: GalleryItem): void;
  setScrubStep(step: number | null): void;
  /** Explore settings from a control (validated; invalid fields are ignored). */
  setExplore(patch: Partial<ExploreSettings>): void;
  /** Makes a cell of the batch shown the current picture: its guidance, seed or blend weight go into the settings. */
  pickBatchCell(index: number): void;
  /** Restores the picture of a shared link (see ./state/link.ts): its settings, its model, a single picture. */
  applyLink(link: LinkSettings): void;

  // engine/model/run, driven by the controller
  engineStarting(): void;
  engineReady(adapter: AdapterSummary): void;
  engineUnavailable(message: string): void;
  modelLoading(): void;
  weightsNotice(message: string): void;
  modelLoaded(info: ModelInfo): void;
  modelForgotten(): void;
  setKernels(p: KernelProgress | null): void;
  modelCacheCleared(): void;
  /** Applies a run event; false when the run machine rejects it (nothing changes then). */
  runEvent(action: RunAction): boolean;
  /** An error outside a run (start-up, clearing the cache); ignored while a run is in progress. */
  runFailed(message: string): void;
  clearError(): void;
  setGallery(items: GalleryItem[]): void;
}

export type StudioStore = StoreApi<StudioState>;

export function createStudioStore(storage: StateStorage = defaultStorage()): StudioStore {
  return createStore<StudioState>()(
    persist((set, get) => {
      const setSettings = (patch: Record<string, unknown>) => set((s) => ({ settings: applySettings(s.settings, patch) }));
      const choose = (change: (s: ModelSelection) => ModelSelection) => set((s) => change(s));
      const runEvent = (action: RunAction) => {
        const run = reduceRun(get().run, action);
        if (run === get().run) return false; // rejected by the run machine
        set({ run });
        return true;
      };
      return {
        settings: { ...DEFAULT_SETTINGS },
        urlModel: null,
        localFiles: null,
        engine: { status: 'starting', error: null, adapter: null },
        model: null,
        weightsNotices: [],
        kernels: null,
        run: INITIAL_RUN,
        gallery: [],
        explore: { ...DEFAULT_EXPLORE },

        setClassId: (id) => setSettings({ classId: id }),
        setCfgScale: (v) => setSettings({ cfgScale: v }),
        setSteps: (v) => setSettings({ steps: v }),
        setSampler: (sampler) => setSettings(samplerPatch(get().settings, sampler)),
        setSeed: (v) => setSettings({ seed: v }),
        randomizeSeed: () => setSettings({ seed: randomSeed() }),
        setBlendClassId: (id) => setSettings({ blendClassId: id }),
        setBlendWeight: (w) => setSettings({ blendWeight: w }),
        setSize: (size) => choose((s) => sizePicked(s, size)),
        setPrecision: (precision) => setSettings({ precision }),
        selectModel: (choice) => choose((s) => modelPicked(s, choice)),
        setHub: (hub) => choose((s) => hubEdited(s, hub)),
        setLocalFiles: (files) => {
          set({ localFiles: files });
          if (files) choose(filesPicked);
        },
        applyUrlModel: (m) => set({ urlModel: m }),
        restoreFromGallery: (item) => choose((s) => restoredFromGallery(s, item)),
        setScrubStep: (step) => set((s) => ({ run: { ...s.run, scrubStep: step } })),
        setExplore: (patch) => set((s) => ({ explore: { ...s.explore, ...validExplore(patch) } })),
        pickBatchCell: (index) => {
          const plan = get().run.batch?.plan;
          if (plan) setSettings(cellSettings(plan, index));
        },
        applyLink: (link) => {
          set((s) => ({ settings: applySettings(s.settings, link.settings), urlModel: link.urlModel, explore: { ...s.explore, mode: 'single' } }));
        },

        engineStarting: () => set({ engine: { status: 'starting', error: null, adapter: null } }),
        engineReady: (adapter) => set({ engine: { status: 'ready', error: null, adapter } }),
        engineUnavailable: (message) => set({ engine: { status: 'unavailable', error: message, adapter: null } }),
        modelLoading: () => set({ weightsNotices: [] }),
        weightsNotice: (message) => set((s) => ({ weightsNotices: [...s.weightsNotices, message] })),
        modelLoaded: (info) => {
          set({ model: info });
          const { classId } = get().settings;
          const moved = classForLoadedModel(info, classId, DEFAULT_SETTINGS.classId);
          if (moved !== classId) setSettings({ classId: moved });
        },
        modelForgotten: () => set({ model: null, weightsNotices: [], kernels: null }),
        setKernels: (kernels) => set({ kernels }),
        modelCacheCleared: () => set((s) => ({ model: s.model ? { ...s.model, cached: false } : null })),
        runEvent,
        runFailed: (message) => void runEvent({ type: 'failed', message }),
        clearError: () => void runEvent({ type: 'dismiss' }),
        setGallery: (items) => set({ gallery: items }),
      };
    }, settingsPersistence<StudioState>(storage)),
  );
}

// `src/main.tsx` reads the page address's model from here.
export { urlModelFromSearch } from './state/model-choice';
