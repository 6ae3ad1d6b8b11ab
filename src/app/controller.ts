/**
 * Runs the engine for the UI: starts it, loads the selected model when needed, generates,
 * cancels, and recovers from failures (a failed engine is disposed and a fresh one is made on the
 * next Generate, so a lost device or a crashed worker never needs a page reload).
 */
import type { AdapterSummary, GenerateParams, ModelInfo } from '../worker/api';
import { errorMessage, isAbortError, WebGpuUnavailableError, type Engine, type EngineFactory } from './engine-client';
import {
  createIdbGallery,
  GALLERY_LIMIT,
  newItemId,
  thumbnailDataUrl,
  type GalleryItem,
  type GalleryStorage,
} from './gallery';
import {
  classOutsideModel,
  createStudioStore,
  effectiveModel,
  isBusy,
  modelKey,
  modelSpec,
  paramsFromSettings,
  shouldRegenerateOnRelease,
  type StudioStore,
  type UrlModel,
} from './store';

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
  /** Generates with the current settings; cancels and replaces a run in progress. */
  generate(): Promise<void>;
  cancel(): void;
  /** The guidance slider was released: regenerates if an image was finished and the guidance changed. */
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

class Superseded extends Error {}

/** The settings do not fit the loaded model: shown to the user; the engine and model are fine. */
class SettingsError extends Error {}

export function createStudio(options: StudioOptions): Studio {
  const store = options.store ?? createStudioStore();
  const gallery = options.gallery ?? createIdbGallery();
  const cancelTimeout = options.cancelTimeoutMs ?? 10_000;
  if (options.urlModel !== undefined) store.getState().applyUrlModel(options.urlModel);

  let engine: Engine | null = null;
  let initPromise: Promise<AdapterSummary> | null = null;
  let broken = false;
  let loaded: { key: string; info: ModelInfo } | null = null;
  let loading: { key: string; promise: Promise<ModelInfo> } | null = null;
  /** The engine's generate() in flight (settles after a cancel). */
  let generating: Promise<unknown> | null = null;
  /** Bumped by every generate/cancel: work for an older token is stale. */
  let token = 0;
  let disposed = false;
  let startPromise: Promise<void> | null = null;

  const s = () => store.getState();

  function replaceEngine() {
    engine?.dispose();
    engine = null;
    initPromise = null;
    loaded = null;
    loading = null;
    generating = null;
    broken = false;
    s().modelForgotten();
  }

  async function ensureEngine(): Promise<Engine> {
    if (engine && broken) replaceEngine();
    if (!engine) {
      engine = options.createEngine();
      const e = engine;
      initPromise = e.init();
      initPromise.then(
        (adapter) => {
          if (engine === e) s().engineReady(adapter);
        },
        () => undefined,
      );
    }
    const e = engine;
    try {
      await initPromise;
    } catch (err) {
      if (engine === e) broken = true;
      throw err;
    }
    return e;
  }

  async function ensureModel(e: Engine, myToken: number): Promise<ModelInfo> {
    const state = s();
    const spec = modelSpec(state);
    if (typeof spec === 'string') throw new Error(spec);
    const key = modelKey(state);
    if (loaded?.key === key) return loaded.info;
    if (!loading || loading.key !== key) {
      if (loading) await loading.promise.catch(() => undefined);
      const promise = e.load(spec, (p) => {
        if (myToken === token) s().runLoadProgress(p);
      });
      loading = { key, promise };
      promise.then(
        (info) => {
          if (engine !== e) return;
          loaded = { key, info };
          if (loading?.promise === promise) loading = null;
          s().modelLoaded(info, key);
        },
        () => {
          if (loading?.promise === promise) loading = null;
        },
      );
    }
    return loading.promise;
  }

  /** Waits for a cancelled generate() to settle; replaces the engine if it does not in time. */
  async function settlePrevious() {
    if (!generating) return;
    const prev = generating;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      prev.then(
        () => false,
        () => false,
      ),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), cancelTimeout))),
    ]);
    clearTimeout(timer);
    if (timedOut) broken = true;
    if (generating === prev) generating = null;
  }

  function needsLoad(): boolean {
    return loaded?.key !== modelKey(s());
  }

  async function addToGallery(params: GenerateParams, info: ModelInfo, image: { width: number; height: number; rgba: Uint8ClampedArray }) {
    try {
      const item: GalleryItem = {
        id: newItemId(),
        createdAt: Date.now(),
        params,
        model: effectiveModel(s()),
        modelId: info.id,
        modelName: info.name,
        width: image.width,
        height: image.height,
        thumbnail: await thumbnailDataUrl(image),
      };
      await gallery.put(item);
      const items = await gallery.list();
      for (const old of items.slice(GALLERY_LIMIT)) await gallery.delete(old.id);
      if (!disposed) s().setGallery(items.slice(0, GALLERY_LIMIT));
    } catch (e) {
      console.warn('Could not save to the gallery:', e);
    }
  }

  async function generate(): Promise<void> {
    if (disposed) return;
    const myToken = ++token;
    const check = () => {
      if (myToken !== token || disposed) throw new Superseded();
    };
    const wasBusy = isBusy(s()) || generating !== null;
    if (wasBusy) engine?.cancel();
    s().runStarted(paramsFromSettings(s().settings), needsLoad());
    try {
      await settlePrevious();
      check();
      const e = await ensureEngine();
      check();
      if (needsLoad()) s().runStarted(paramsFromSettings(s().settings), true);
      const info = await ensureModel(e, myToken);
      check();
      // Read the parameters after loading: the built-in model may have moved to a class it knows.
      const params = paramsFromSettings(s().settings);
      const outside = classOutsideModel(params.classId, info);
      if (outside) throw new SettingsError(outside);
      s().runGenerating(params);
      const run = e.generate(params, (u) => {
        if (myToken === token) s().runStep(u);
      });
      generating = run;
      const result = await run;
      if (generating === run) generating = null;
      check();
      s().runFinished(result, effectiveModel(s()), info.name);
      void addToGallery(result.params, info, result.image);
    } catch (err) {
      if (err instanceof Superseded || myToken !== token || disposed) return;
      if (isAbortError(err)) {
        s().runCancelled();
        return;
      }
      // Anything else (device lost, out of memory, a crashed worker, a failed download): show it,
      // and start from a fresh engine next time.
      if (!(err instanceof SettingsError)) broken = true;
      generating = null;
      const msg = errorMessage(err);
      s().runFailed(err instanceof WebGpuUnavailableError ? `WebGPU is not available: ${msg}` : msg);
    }
  }

  async function doStart(): Promise<void> {
    const items = await gallery.list().catch(() => [] as GalleryItem[]);
    if (!disposed) s().setGallery(items.slice(0, GALLERY_LIMIT));
    s().engineStarting();
    replaceEngine();
    try {
      await ensureEngine();
    } catch (err) {
      replaceEngine();
      startPromise = null;
      if (!disposed) s().engineUnavailable(errorMessage(err));
      return;
    }
    // The built-in model is small and offline: load it now so the class picker knows its classes.
    if (modelKey(s()) === 'builtin' && engine) {
      try {
        await ensureModel(engine, token);
      } catch (err) {
        if (!isBusy(s())) s().runFailed(`Could not load the built-in model: ${errorMessage(err)}`);
        broken = true;
      }
    }
  }

  const controller: Controller = {
    start() {
      // Idempotent (React StrictMode runs effects twice); after a failure it tries again.
      startPromise ??= doStart();
      return startPromise;
    },

    generate,

    cancel() {
      if (!isBusy(s())) return;
      token++;
      engine?.cancel();
      s().runCancelled();
    },

    guidanceReleased() {
      if (shouldRegenerateOnRelease(s())) void generate();
    },

    async loadModel() {
      if (isBusy(s())) return;
      const myToken = ++token;
      s().runStarted(paramsFromSettings(s().settings), true);
      try {
        const e = await ensureEngine();
        await ensureModel(e, myToken);
        if (myToken !== token) return;
        store.setState((st) => ({ run: { ...st.run, status: st.run.result ? 'done' : 'idle', loadProgress: null, progress: 0 } }));
      } catch (err) {
        if (myToken !== token) return;
        broken = true;
        s().runFailed(errorMessage(err));
      }
    },

    async clearCache() {
      try {
        const e = await ensureEngine();
        await e.clearCache();
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
      disposed = true;
      token++;
      engine?.dispose();
      engine = null;
    },
  };

  return { store, controller };
}
