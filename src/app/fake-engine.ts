/**
 * A stand-in engine for tests and the `?engine=fake` demo: no GPU, no weights. It "denoises" from
 * seeded noise to a smooth gradient picture whose colours depend on the class, seed and guidance,
 * one frame per step, with the same callbacks, cancellation and errors as the real engine.
 */
import type { BatchParams, BatchResult, BatchStepUpdate, Frame, ModelInfo, PictureParams } from '../engine/api';
import { modelIdentity } from '../engine/model-identity';
import { hubLicense } from '../model/hub-models';
import type { Engine } from './engine-client';

export interface FakeEngineOptions {
  /** Delay per denoising step (default 15 ms). */
  stepDelayMs?: number;
  /** Simulated download time per Hub/URL model file (default 300 ms); the built-in model loads at once. */
  fileDelayMs?: number;
  /** `init()` rejects with this message (as a browser without working WebGPU would). */
  initError?: string | null;
  /** Adapter features, e.g. ['shader-f16'] (the default). */
  features?: string[];
  /** The classes the built-in model knows. */
  knownClasses?: number[];
  /** Image side of the built-in model (default 32, like the real one). */
  builtinSize?: number;
  /** Classes of Hub/URL/file models (default 1000, like DiT-XL/2). */
  numClasses?: number;
}

export interface FakeEngine extends Engine {
  /** The next `generate()` or `generateBatch()` fails with this message after a few steps (like a lost device). */
  failNextGenerate(message?: string): void;
  /** The next `load()` fails with this message. */
  failNextLoad(message?: string): void;
  /** The next Hub/URL `load()` tells this, as the weight loader does of a damaged cached file it fetches again. */
  noticeNextLoad(message: string): void;
  /** Loses the "device" now, between runs: `onDeviceLost` listeners hear it, and every later call fails. */
  loseDevice(message?: string): void;
  /** Every call, in order, for assertions. */
  readonly calls: { method: string; arg?: unknown }[];
  readonly disposed: number;
}

export const FAKE_KNOWN_CLASSES = [1, 9, 22, 88, 130, 207, 250, 279, 281, 291, 292, 323, 388, 417, 812, 933, 947, 963, 972, 980];

function abortError(): Error {
  const e = new Error('Generation cancelled');
  e.name = 'AbortError';
  return e;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hsl(h: number, s: number, l: number): [number, number, number] {
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [f(0) * 255, f(8) * 255, f(4) * 255];
}

/** The clean picture for these parameters: hues from the class (and blend), shapes from the seed, contrast from cfg. */
function targetImage(size: number, p: PictureParams): Float32Array {
  const r = rng(p.seed * 7919 + p.classId);
  // A blend moves the hue from the class's towards the second class's.
  const hue = (c: number) => (c * 137.508) % 360;
  const h1 = p.blend ? hue(p.classId) * (1 - p.blend.weight) + hue(p.blend.classId) * p.blend.weight : hue(p.classId);
  const h2 = (h1 + 40 + r() * 100) % 360;
  const sat = Math.min(1, 0.35 + p.cfgScale * 0.07);
  const c1 = hsl(h1, sat, 0.55);
  const c2 = hsl(h2, sat, 0.3);
  const c3 = hsl((h1 + 180) % 360, sat, 0.75);
  const cx = 0.3 + r() * 0.4;
  const cy = 0.3 + r() * 0.4;
  const fx = 2 + r() * 4;
  const fy = 2 + r() * 4;
  const ph = r() * Math.PI * 2;
  const out = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = x / size;
      const v = y / size;
      const d = Math.hypot(u - cx, v - cy);
      const orb = Math.max(0, 1 - d * 2.6) ** 1.5;
      const wave = 0.5 + 0.5 * Math.sin(u * fx * Math.PI + Math.cos(v * fy * Math.PI + ph) * 1.5);
      const i = (y * size + x) * 3;
      for (let c = 0; c < 3; c++) {
        const base = c2[c] * (1 - wave) + c1[c] * wave;
        out[i + c] = base * (1 - orb) + c3[c] * orb;
      }
    }
  }
  return out;
}

function frameAt(size: number, target: Float32Array, noiseSeed: number, t: number): Frame {
  // t: 0 = pure noise, 1 = clean image.
  const rgba = new Uint8ClampedArray(size * size * 4);
  const r = rng(noiseSeed);
  const a = Math.sin((t * Math.PI) / 2) ** 2;
  const n = Math.sqrt(1 - a) * 110;
  for (let i = 0, j = 0; i < size * size; i++, j += 3) {
    for (let c = 0; c < 3; c++) rgba[i * 4 + c] = target[j + c] * a + 128 * (1 - a) + (r() - 0.5) * 2 * n;
    rgba[i * 4 + 3] = 255;
  }
  return { width: size, height: size, rgba };
}

export function createFakeEngine(options: FakeEngineOptions = {}): FakeEngine {
  const stepDelay = options.stepDelayMs ?? 15;
  const fileDelay = options.fileDelayMs ?? 300;
  const known = options.knownClasses ?? FAKE_KNOWN_CLASSES;
  const builtinSize = options.builtinSize ?? 32;
  const calls: { method: string; arg?: unknown }[] = [];
  const cache = new Set<string>();
  const lostListeners: ((message: string) => void)[] = [];
  let model: ModelInfo | null = null;
  let cancelRequested = false;
  let generating = false;
  let failGenerate: string | null = null;
  let failLoad: string | null = null;
  let loadNotice: string | null = null;
  let lost: string | null = null;
  let disposed = 0;

  /** The one sampling loop (a single picture is a batch of one, as in the real engine). */
  async function run(params: BatchParams, onStep?: (s: BatchStepUpdate) => void): Promise<BatchResult> {
    if (lost) throw new Error(lost);
    if (!model) throw new Error('No model loaded');
    if (generating) throw new Error('A generation is already running');
    generating = true;
    cancelRequested = false;
    const t0 = performance.now();
    try {
      const size = model.imageSize;
      const targets = params.pictures.map((p) => targetImage(size, p));
      const failAt = failGenerate ? Math.max(1, Math.ceil(params.steps / 2)) : -1;
      for (let k = 1; k <= params.steps; k++) {
        await sleep(stepDelay);
        if (lost) throw new Error(lost); // a lost device fails the run, as in the real engine
        if (cancelRequested) throw abortError();
        if (k === failAt) {
          const msg = failGenerate!;
          failGenerate = null;
          throw new Error(msg);
        }
        const views = params.pictures.map((p, i) => {
          const noise = p.seed * 131 + k;
          return { x0: frameAt(size, targets[i], noise, k / params.steps), xt: frameAt(size, targets[i], noise, k / params.steps / 2), eps: frameAt(size, targets[i], noise, 0) };
        });
        const elapsed = (performance.now() - t0) / 1000;
        // Awaited like the real worker: through comlink the callback is a round trip, and awaiting
        // it keeps step updates ahead of the result (and gives backpressure).
        await onStep?.({ step: k, total: params.steps, views, stepsPerSecond: elapsed > 0 ? k / elapsed : 0 });
      }
      return { images: targets.map((t) => frameAt(size, t, 0, 1)), params, modelId: model.id, elapsedMs: performance.now() - t0 };
    } finally {
      generating = false;
      cancelRequested = false;
    }
  }

  // The methods' types come from FakeEngine.
  const engine: FakeEngine = {
    calls,
    get disposed() {
      return disposed;
    },
    failNextGenerate(message = 'GPU device was lost (simulated)') {
      failGenerate = message;
    },
    failNextLoad(message = 'Download failed (simulated)') {
      failLoad = message;
    },
    noticeNextLoad(message) {
      loadNotice = message;
    },
    loseDevice(message = 'the GPU device was lost (simulated)') {
      lost = message;
      model = null;
      for (const listener of lostListeners) listener(message);
    },

    async init() {
      calls.push({ method: 'init' });
      await sleep(1);
      if (options.initError) throw new Error(options.initError);
      return {
        vendor: 'fake',
        architecture: 'fake',
        description: 'Fake engine (no GPU)',
        features: options.features ?? ['shader-f16'],
        maxStorageBufferBindingSize: 1 << 30,
        maxBufferSize: 1 << 30,
      };
    },

    async load(spec, onProgress, onNotice) {
      calls.push({ method: 'load', arg: spec });
      await sleep(1);
      if (lost) throw new Error(lost);
      if (failLoad) {
        const msg = failLoad;
        failLoad = null;
        throw new Error(msg);
      }
      if (spec.kind === 'builtin') {
        model = {
          id: modelIdentity(spec),
          name: 'Built-in demo model (fake)',
          imageSize: builtinSize,
          numClasses: 1000,
          knownClasses: known,
          license: 'MIT',
          cached: true,
        };
        return model;
      }
      if (loadNotice) {
        onNotice?.(loadNotice);
        loadNotice = null;
      }
      const key = modelIdentity(spec);
      const fromCache = cache.has(key);
      const repo = spec.kind === 'hub' ? spec.repo : spec.kind === 'urls' ? spec.transformerUrl : 'local files';
      const size = /512/.test(repo) ? 512 : 256;
      const files: [string, number][] = [
        ['transformer/config.json', 1_024],
        ['transformer/diffusion_pytorch_model.safetensors', 2_700_000_000],
        ['vae/config.json', 800],
        ['vae/diffusion_pytorch_model.safetensors', 334_600_000],
      ];
      if (spec.kind !== 'files') {
        for (const [file, total] of files) {
          const ticks = fromCache ? 1 : 5;
          for (let i = 1; i <= ticks; i++) {
            await sleep(fromCache ? 1 : fileDelay / ticks);
            const loadedBytes = Math.round((total * i) / ticks);
            const bytesPerSecond = fromCache ? 0 : total / (fileDelay / 1000);
            await onProgress?.({
              file,
              loadedBytes,
              totalBytes: total,
              bytesPerSecond,
              etaSeconds: bytesPerSecond ? (total - loadedBytes) / bytesPerSecond : 0,
              fromCache,
            });
          }
        }
      }
      cache.add(key);
      model = {
        id: key,
        name: spec.kind === 'hub' ? `${spec.repo} (fake)` : `DiT-XL/2 ${size} (fake, ${spec.kind})`,
        imageSize: size,
        numClasses: options.numClasses ?? 1000,
        license: spec.kind === 'hub' ? hubLicense(spec.hubUrl, spec.repo) : 'CC-BY-NC-4.0',
        cached: fromCache,
      };
      return model;
    },

    async generate(params, onStep) {
      calls.push({ method: 'generate', arg: params });
      const { steps, sampler, ...picture } = params;
      const batch = await run({ pictures: [picture], steps, sampler }, onStep && ((s) => {
        const [views] = s.views;
        return onStep({ step: s.step, total: s.total, preview: views.x0, views, stepsPerSecond: s.stepsPerSecond });
      }));
      return { image: batch.images[0], params: { ...params }, modelId: batch.modelId, elapsedMs: batch.elapsedMs };
    },

    generateBatch(params, onStep) {
      calls.push({ method: 'generateBatch', arg: params });
      return run(params, onStep);
    },

    cancel() {
      calls.push({ method: 'cancel' });
      if (generating) cancelRequested = true;
    },

    async clearCache() {
      calls.push({ method: 'clearCache' });
      cache.clear();
      if (model && model.id !== modelIdentity({ kind: 'builtin' })) model = { ...model, cached: false };
    },

    onDeviceLost(listener) {
      calls.push({ method: 'onDeviceLost' });
      lostListeners.push(listener);
    },

    dispose() {
      calls.push({ method: 'dispose' });
      disposed++;
      if (generating) cancelRequested = true;
    },
  };
  return engine;
}

/**
 * Options for the demo from URL parameters: `?engine=fake&fake-delay=40&fake-fail=init|generate|load
 * &fake-features=none`.
 */
export function fakeOptionsFromUrl(params: URLSearchParams): FakeEngineOptions & { fail?: string | null } {
  const delay = Number(params.get('fake-delay'));
  return {
    stepDelayMs: Number.isFinite(delay) && delay > 0 ? delay : 40,
    initError: params.get('fake-fail') === 'init' ? 'WebGPU is not available (simulated by ?fake-fail=init).' : null,
    features: params.get('fake-features') === 'none' ? [] : ['shader-f16'],
    fail: params.get('fake-fail'),
  };
}
