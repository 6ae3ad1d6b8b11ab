/**
 * The engine the controller drives and what it holds: one engine at a time (made by the factory,
 * initialised once), the model it has loaded or is loading, and the generate() in flight. An engine
 * that failed is marked broken; the next call that needs one disposes it and makes a fresh one, so
 * a lost device or a crashed worker never needs a page reload.
 *
 * Methods that use the engine take the one {@link EngineSession.ready} returned, so work started on
 * an engine that has since been replaced never touches the new one.
 */
import type { AdapterSummary, LoadProgress, ModelInfo, ModelSpec } from '../engine/api';
import { modelIdentity } from '../engine/model-identity';
import type { Engine, EngineFactory } from './engine-client';

/** What the session reports about the current engine (never about one it has replaced). */
export interface EngineSessionEvents {
  ready(adapter: AdapterSummary): void;
  /** A model starts loading. */
  modelLoading(): void;
  /** What the weight loader tells the user while loading (a damaged cached file fetched again). */
  weightsNotice(message: string): void;
  modelLoaded(info: ModelInfo): void;
  /** The engine was replaced: no model is loaded any more. */
  forgotten(): void;
  /** The engine's GPU device was lost, told at once (between runs too); the engine is already marked broken. */
  deviceLost(message: string): void;
}

export class EngineSession {
  private engine: Engine | null = null;
  private init: Promise<AdapterSummary> | null = null;
  /** The engine failed: replace it before its next use. */
  private broken = false;
  /** The model the engine has loaded; its `id` is the model identity of the spec it was loaded from. */
  private loaded: ModelInfo | null = null;
  private loading: { key: string; promise: Promise<ModelInfo> } | null = null;
  /** The engine's generate() or generateBatch() in flight (it settles some time after a cancel). */
  private inFlight: Promise<unknown> | null = null;

  constructor(
    private readonly createEngine: EngineFactory,
    private readonly events: EngineSessionEvents,
  ) {}

  /** Whether a generate() is still in flight (a cancelled one until it settles). */
  get generating(): boolean {
    return this.inFlight !== null;
  }

  /** Whether the model with this identity is the one loaded. */
  hasLoaded(key: string | null): boolean {
    return key !== null && this.loaded?.id === key;
  }

  markBroken(): void {
    this.broken = true;
  }

  /** Disposes the engine (if any) and forgets everything it held; the next use makes a new one. */
  replace(): void {
    this.engine?.dispose();
    this.engine = null;
    this.init = null;
    this.loaded = null;
    this.loading = null;
    this.inFlight = null;
    this.broken = false;
    this.events.forgotten();
  }

  /** The engine, initialised: a new one when there is none or the last one broke. */
  async ready(): Promise<Engine> {
    if (this.engine && this.broken) this.replace();
    if (!this.engine) {
      const e = this.createEngine();
      this.engine = e;
      this.init = e.init();
      this.init.then(
        (adapter) => {
          if (this.engine !== e) return;
          e.onDeviceLost((message) => {
            if (this.engine !== e) return;
            this.broken = true;
            this.events.deviceLost(message);
          });
          this.events.ready(adapter);
        },
        () => undefined,
      );
    }
    const e = this.engine;
    try {
      await this.init;
    } catch (err) {
      if (this.engine === e) this.broken = true;
      throw err;
    }
    return e;
  }

  /** The model for `spec` on engine `e`: the loaded one when it is the same model, else loaded now. */
  async model(e: Engine, spec: ModelSpec, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
    const key = modelIdentity(spec);
    // One load at a time: let a load of another model finish (or fail) first.
    while (this.loaded?.id !== key && this.loading && this.loading.key !== key) await this.loading.promise.catch(() => undefined);
    if (this.loaded?.id === key) return this.loaded;
    if (this.loading?.key === key) return this.loading.promise;
    this.events.modelLoading();
    const promise = e.load(spec, onProgress, (message) => {
      if (this.engine === e) this.events.weightsNotice(message);
    });
    const loading = { key, promise };
    this.loading = loading;
    promise.then(
      (info) => {
        if (this.engine !== e) return;
        this.loaded = info;
        if (this.loading === loading) this.loading = null;
        this.events.modelLoaded(info);
      },
      () => {
        if (this.loading === loading) this.loading = null;
      },
    );
    return promise;
  }

  /** Keeps the engine's generate() or generateBatch() as the run in flight until it settles. */
  track<T>(run: Promise<T>): Promise<T> {
    this.inFlight = run;
    const settled = () => {
      if (this.inFlight === run) this.inFlight = null;
    };
    run.then(settled, settled);
    return run;
  }

  /** Waits for a cancelled generate() to settle; marks the engine broken if it does not in time. */
  async settle(timeoutMs: number): Promise<void> {
    const prev = this.inFlight;
    if (!prev) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      prev.then(
        () => false,
        () => false,
      ),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.broken = true;
      if (this.inFlight === prev) this.inFlight = null;
    }
  }

  cancel(): void {
    this.engine?.cancel();
  }

  async clearCache(): Promise<void> {
    const e = await this.ready();
    await e.clearCache();
  }

  /** Frees the engine for good: nothing it does afterwards is reported. */
  dispose(): void {
    this.engine?.dispose();
    this.engine = null;
  }
}
