/**
 * How the page gets an engine. The app never constructs one itself: it is handed an
 * {@link EngineFactory} (see `createStudio` in ./controller.ts). The real factory is
 * {@link createWorkerEngine}, which runs the engine in `src/worker/engine.worker.ts` through comlink;
 * tests and the `?engine=fake` demo use `createFakeEngine` from ./fake-engine.ts instead.
 */
import { proxy, releaseProxy, wrap, type Remote } from 'comlink';
import type { EngineApi, GenerateParams } from '../engine/api';
import type { KernelPrepApi, KernelProgress } from '../engine/kernel-prep';

/** An engine as the app uses it: the worker API plus a way to free it. */
export interface Engine extends EngineApi {
  /** Compiles the GPU kernels `generate(params)` will use, with progress (engine/kernel-prep.ts); generate does it too. */
  prepare?(params: GenerateParams, onProgress?: (p: KernelProgress) => void): Promise<unknown>;
  /**
   * Frees the engine (terminates the worker). The app calls this before replacing an engine that
   * failed (device lost, out of memory, crashed worker), then asks the factory for a new one.
   */
  dispose(): void;
}

/** Makes a fresh, uninitialized engine. Called once at start-up and again after a failure. */
export type EngineFactory = () => Engine;

/** Thrown by `init()` when the browser has no WebGPU at all (`navigator.gpu` is missing). */
export class WebGpuUnavailableError extends Error {
  override name = 'WebGpuUnavailableError';
}

/** Thrown into pending calls when the worker itself dies (script error, crash). */
export class EngineCrashedError extends Error {
  override name = 'EngineCrashedError';
}

export function hasWebGpu(): boolean {
  return typeof navigator !== 'undefined' && 'gpu' in navigator && !!(navigator as Navigator).gpu;
}

/**
 * The real engine: a module Web Worker running `src/worker/engine.worker.ts`, which must
 * `expose()` an object implementing {@link EngineApi} with comlink. Callbacks (`onProgress`,
 * `onStep`) are passed as comlink proxies, so each call is an async round trip on its own
 * MessageChannel: the worker should `await onStep(...)` (which also gives backpressure), or the last
 * step updates can arrive after `generate()` has resolved. Frame buffers can be sent with
 * `transfer()` to avoid a copy.
 *
 * The worker is only started by `init()`, and only when `navigator.gpu` exists, so a browser
 * without WebGPU gets a clear {@link WebGpuUnavailableError} instead of a worker error.
 */
export function createWorkerEngine(): Engine {
  let worker: Worker | null = null;
  let remote: Remote<EngineApi & KernelPrepApi> | null = null;
  let dead: Error | null = null;
  const pending = new Set<(e: Error) => void>();

  function kill(e: Error) {
    if (dead) return;
    dead = e;
    for (const reject of pending) reject(e);
    pending.clear();
  }

  function start(): Remote<EngineApi & KernelPrepApi> {
    if (remote) return remote;
    worker = new Worker(new URL('../worker/engine.worker.ts', import.meta.url), { type: 'module', name: 'dit-engine' });
    worker.addEventListener('error', (ev) => {
      ev.preventDefault?.();
      kill(new EngineCrashedError(`The engine worker failed: ${ev.message || 'unknown error'}`));
    });
    worker.addEventListener('messageerror', () => kill(new EngineCrashedError('The engine worker sent a message that could not be read.')));
    remote = wrap<EngineApi & KernelPrepApi>(worker);
    return remote;
  }

  /** Runs a remote call, rejecting it if the worker dies meanwhile (comlink would wait forever). */
  function call<T>(fn: (r: Remote<EngineApi & KernelPrepApi>) => Promise<T>): Promise<T> {
    if (dead) return Promise.reject(dead);
    const r = start();
    return new Promise<T>((resolve, reject) => {
      pending.add(reject);
      fn(r).then(
        (v) => {
          pending.delete(reject);
          resolve(v);
        },
        (e) => {
          pending.delete(reject);
          reject(e);
        },
      );
    });
  }

  /** A callback as a comlink proxy: each call is a round trip to the page. */
  const remoteCallback = <F extends (...args: never[]) => unknown>(f: F | undefined) => (f ? proxy(f) : undefined);

  // The methods' types come from Engine.
  const engine: Engine = {
    async init() {
      if (!hasWebGpu()) {
        throw new WebGpuUnavailableError('This browser does not expose WebGPU (navigator.gpu is missing).');
      }
      return call((r) => r.init());
    },
    load(spec, onProgress, onNotice) {
      return call((r) => r.load(spec, remoteCallback(onProgress), remoteCallback(onNotice)));
    },
    generate(params, onStep) {
      return call((r) => r.generate(params, remoteCallback(onStep)));
    },
    generateBatch(params, onStep) {
      return call((r) => r.generateBatch(params, remoteCallback(onStep)));
    },
    prepare(params, onProgress) {
      return call((r) => r.prepare(params, remoteCallback(onProgress)));
    },
    cancel() {
      if (remote && !dead) void remote.cancel().catch(() => undefined);
    },
    clearCache() {
      return call((r) => r.clearCache());
    },
    onDeviceLost(listener) {
      // Registered once the worker runs (after init): the worker calls it as soon as the device is lost.
      call((r) => r.onDeviceLost(proxy(listener))).catch(() => undefined);
    },
    dispose() {
      kill(new EngineCrashedError('The engine was shut down.'));
      if (remote) remote[releaseProxy]();
      worker?.terminate();
      remote = null;
      worker = null;
    },
  };
  return engine;
}

/** True for the error a cancelled `generate()` rejects with. */
export function isAbortError(e: unknown): boolean {
  return e instanceof Error ? e.name === 'AbortError' : typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'AbortError';
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  if (typeof e === 'string') return e;
  if (typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string') {
    return (e as { message: string }).message;
  }
  return String(e);
}
