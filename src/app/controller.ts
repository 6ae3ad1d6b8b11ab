/**
 * Runs the engine for the UI: starts it, loads the selected model when needed, generates,
 * cancels, and recovers from failures (a failed engine is disposed and a fresh one is made on the
 * next Generate, or at once for a device lost between runs, so a lost device or a crashed worker
 * never needs a page reload).
 *
 * Each run goes through the run machine (./run-machine.ts), whose state lives in the store: the
 * controller reports what happens (loading, each step, the result, an error) with the run's id, and
 * stops working for a run as soon as the machine says it is no longer the current one (a newer
 * Generate superseded it, or it was cancelled). The engine and what it holds are the
 * {@link EngineSession}'s.
 */
import type { GenerateParams, ModelInfo, ModelSpec } from '../engine/api';
import { errorMessage, isAbortError, WebGpuUnavailableError, type Engine, type EngineFactory } from './engine-client';
import { EngineSession } from './engine-session';
import { createIdbGallery, GALLERY_LIMIT, newItemId, thumbnailDataUrl, type GalleryItem, type GalleryStorage } from './gallery';
import { isCurrentRun } from './run-machine';
import { classOutsideModel } from './state/classes';
import { batchPlan, type BatchPlan, type ExploreMode } from './state/explore';
import { pageBase, pictureLink } from './state/link';
import { BUILTIN_MODEL_KEY, effectiveModel, effectivePrecision, modelKey, modelSpec, type UrlModel } from './state/model-choice';
import { isBusy, shouldRegenerateOnRelease, type RunAction } from './state/run';
import { paramsFromSettings } from './state/settings';
import { createStudioStore, type StudioStore } from './store';

export interface StudioOptions {
  /** Makes engines: `createWorkerEngine` in the app, a fake one in tests and `?engine=fake`. */
  createEngine: EngineFactory;
  store?: StudioStore;
  gallery?: GalleryStorage;
  /** Hub model from URL parameters (see `urlModelFromSearch`). */
  urlModel?: UrlModel | null;
  /** How long to wait for a cancelled run to stop before replacing the engine (default 10 s). */
  cancelTimeoutMs?: number;
}

export interface Controller {
  /** Starts the engine (no-WebGPU panel on failure) and loads the built-in model if it is selected. */
  start(): Promise<void>;
  /**
   * Generates with the current settings; cancels and replaces a run in progress. Makes what the
   * explore mode says (one picture, a guidance sweep, a seed grid, a blend strip) unless `mode` is given.
   */
  generate(mode?: ExploreMode): Promise<void>;
  cancel(): void;
  /** The guidance slider was released: makes one picture if an image was finished and the guidance changed. */
  guidanceReleased(): void;
  /** Loads (downloads) the selected model now, without generating. */
  loadModel(): Promise<void>;
  clearCache(): Promise<void>;
  removeGalleryItem(id: string): Promise<void>;
  clearGallery(): Promise<void>;
  dispose(): void;
}

export interface Studio {
  store: StudioStore;
  controller: Controller;
}

/** The run is no longer the current one: stop quietly. */
class Superseded extends Error {}

/** The settings do not fit (no files chosen, a class the model lacks): shown to the user; the engine and model are fine. */
class SettingsError extends Error {}

export function createStudio(options: StudioOptions): Studio {
  const store = options.store ?? createStudioStore();
  const gallery = options.gallery ?? createIdbGallery();
  const cancelTimeout = options.cancelTimeoutMs ?? 10_000;
  if (options.urlModel !== undefined) store.getState().applyUrlModel(options.urlModel);

  const s = () => store.getState();
  const session = new EngineSession(options.createEngine, {
    ready: (adapter) => s().engineReady(adapter),
    modelLoading: () => s().modelLoading(),
    weightsNotice: (message) => s().weightsNotice(message),
    modelLoaded: (info) => s().modelLoaded(info),
    forgotten: () => s().modelForgotten(),
    deviceLost: (message) => deviceLost(message),
  });
  const life = {
    /** Set by dispose(): nothing is reported to the store afterwards. */
    disposed: false,
    /** The start in progress or done (cleared when the engine could not start, to try again). */
    start: null as Promise<void> | null,
  };

  /** Reports a run event; false when the run machine rejects it. */
  const report = (action: RunAction): boolean => !life.disposed && s().runEvent(action);
  /** The run id of the run just started. */
  const currentRun = () => s().run.machine.run;
  const isCurrent = (run: number) => !life.disposed && isCurrentRun(s().run.machine, run);
  const params = (): GenerateParams => paramsFromSettings(s().settings);
  const needsLoad = () => !session.hasLoaded(modelKey(s()));

  function selectedSpec(): ModelSpec {
    const spec = modelSpec(s());
    if (typeof spec === 'string') throw new SettingsError(spec);
    return spec;
  }

  /** A failure of `run`: the engine is replaced next time unless only the settings were wrong. */
  function failed(run: number, err: unknown) {
    if (!(err instanceof SettingsError)) session.markBroken();
    const msg = errorMessage(err);
    report({ type: 'failed', run, message: err instanceof WebGpuUnavailableError ? `WebGPU is not available: ${msg}` : msg });
  }

  async function addToGallery(params: GenerateParams, info: ModelInfo, image: { width: number; height: number; rgba: Uint8ClampedArray }) {
    try {
      const model = effectiveModel(s());
      // The thumbnail's PNG carries the picture's link too (dragged out of the page, it still says how it was made).
      const link = pictureLink(pageBase(), { model, params, size: image.width, precision: effectivePrecision(s()) });
      const item: GalleryItem = {
        id: newItemId(),
        createdAt: Date.now(),
        params,
        model,
        modelId: info.id,
        modelName: info.name,
        width: image.width,
        height: image.height,
        thumbnail: await thumbnailDataUrl(image, link ? { 'dit:link': link } : {}),
      };
      await gallery.put(item);
      const items = await gallery.list();
      for (const old of items.slice(GALLERY_LIMIT)) await gallery.delete(old.id);
      if (!life.disposed) s().setGallery(items.slice(0, GALLERY_LIMIT));
    } catch (e) {
      console.warn('Could not save to the gallery:', e);
    }
  }

  /** The batch `mode` makes from the current settings; null for a single picture. */
  function plan(mode: ExploreMode): BatchPlan | string | null {
    return mode === 'single' ? null : batchPlan(mode, params(), s().explore);
  }

  async function generate(mode: ExploreMode = s().explore.mode): Promise<void> {
    if (life.disposed) return;
    if (isBusy(s()) || session.generating) session.cancel();
    const planned = plan(mode);
    report({ type: 'generate', params: params(), load: needsLoad(), ...(planned && typeof planned !== 'string' ? { batch: planned } : {}) });
    const run = currentRun();
    const check = () => {
      if (!isCurrent(run)) throw new Superseded();
    };
    try {
      await session.settle(cancelTimeout);
      check();
      const e = await session.ready();
      check();
      if (needsLoad()) report({ type: 'loading', run, params: params() });
      const info = await session.model(e, selectedSpec(), (progress) => report({ type: 'loadProgress', run, progress }));
      check();
      // Read the parameters after loading: the built-in model may have moved to a class it knows.
      const p = params();
      const outside = classOutsideModel(p.classId, info);
      if (outside) throw new SettingsError(outside);
      const blendOutside = p.blend && classOutsideModel(p.blend.classId, info);
      if (blendOutside) throw new SettingsError(`The blend’s second class: ${blendOutside}`);
      const batch = plan(mode);
      if (typeof batch === 'string') throw new SettingsError(batch);
      const made = { model: effectiveModel(s()), modelName: info.name, precision: effectivePrecision(s()) };
      if (batch) {
        // Several pictures in one run; they stay in the view (not in the gallery) until one is picked.
        report({ type: 'sample', run, params: p, batch });
        const pictures = { pictures: batch.pictures, steps: p.steps, sampler: p.sampler };
        const result = await session.track(e.generateBatch(pictures, (u) => report({ type: 'step', run, batch: true, ...u })));
        check();
        report({ type: 'finished', run, batch: result, params: p, ...made });
        return;
      }
      report({ type: 'sample', run, params: p });
      prepareKernels(e, p);
      const result = await session.track(e.generate(p, (u) => report({ type: 'step', run, ...u })));
      check();
      report({ type: 'finished', run, result, ...made });
      void addToGallery(result.params, info, result.image);
    } catch (err) {
      if (err instanceof Superseded || !isCurrent(run)) return;
      if (isAbortError(err)) report({ type: 'aborted', run });
      // Anything else (device lost, out of memory, a crashed worker, a failed download): show it,
      // and start from a fresh engine next time.
      else failed(run, err);
    }
  }

  /**
   * Compiles the GPU kernels of a run with `p` now, with "Preparing GPU kernels (n/m)" shown
   * (engine/kernel-prep.ts): ahead of the first Generate, or beside a run, which waits for them.
   */
  function prepareKernels(e: Engine, p: GenerateParams): void {
    e.prepare?.(p, (k) => { if (!life.disposed) s().setKernels(k.done < k.total ? k : null); }).catch(() => undefined);
  }

  /**
   * The GPU device was lost. A run in progress fails with the loss by itself (and the next Generate
   * replaces the engine); between runs, say so now and start a fresh engine at once, so the next
   * Generate finds one ready.
   */
  function deviceLost(message: string): void {
    if (life.disposed || isBusy(s())) return;
    s().runFailed(message);
    void startEngine();
  }

  async function doStart(): Promise<void> {
    const items = await gallery.list().catch(() => [] as GalleryItem[]);
    if (!life.disposed) s().setGallery(items.slice(0, GALLERY_LIMIT));
    await startEngine();
  }

  /** A new engine, started now (no-WebGPU panel on failure), with the built-in model loaded when it is selected. */
  async function startEngine(): Promise<void> {
    s().engineStarting();
    session.replace();
    let e: Engine;
    try {
      e = await session.ready();
    } catch (err) {
      session.replace();
      life.start = null;
      if (!life.disposed) s().engineUnavailable(errorMessage(err));
      return;
    }
    // The built-in model is small and offline: load it now so the class picker knows its classes.
    if (modelKey(s()) === BUILTIN_MODEL_KEY) {
      try {
        await session.model(e, { kind: 'builtin' });
        prepareKernels(e, params());
      } catch (err) {
        // Shown unless a run is in progress (the run machine takes errors outside a run only at rest).
        if (!life.disposed) s().runFailed(`Could not load the built-in model: ${errorMessage(err)}`);
        session.markBroken();
      }
    }
  }

  const controller: Controller = {
    start() {
      // Idempotent (React StrictMode runs effects twice); after a failure it tries again.
      life.start ??= doStart();
      return life.start;
    },

    generate,

    cancel() {
      if (!isBusy(s())) return;
      session.cancel();
      report({ type: 'cancel' });
    },

    guidanceReleased() {
      // One picture at the new guidance, as before a sweep: a sweep's own scales are shown from it.
      if (shouldRegenerateOnRelease(s())) void generate('single');
    },

    async loadModel() {
      if (isBusy(s()) || !report({ type: 'loadModel', params: params() })) return;
      const run = currentRun();
      try {
        const e = await session.ready();
        await session.model(e, selectedSpec(), (progress) => report({ type: 'loadProgress', run, progress }));
        if (isCurrent(run)) report({ type: 'loaded', run });
      } catch (err) {
        if (isCurrent(run)) failed(run, err);
      }
    },

    async clearCache() {
      try {
        await session.clearCache();
        s().modelCacheCleared();
      } catch (err) {
        s().runFailed(`Could not clear the cache: ${errorMessage(err)}`);
      }
    },

    async removeGalleryItem(id) {
      await gallery.delete(id).catch(() => undefined);
      s().setGallery(s().gallery.filter((i) => i.id !== id));
    },

    async clearGallery() {
      await gallery.clear().catch(() => undefined);
      s().setGallery([]);
    },

    dispose() {
      life.disposed = true;
      session.dispose();
    },
  };

  return { store, controller };
}
