/**
 * The engine's API as the page sees it (through comlink). The app, the command line and the
 * tests all talk to the same worker through this interface.
 */

import type { SamplerKind } from '../sampling/sampler-kind.ts';

export type { SamplerKind };

/** Which model to load. */
export type ModelSpec =
  | { kind: 'builtin' }
  | { kind: 'hub'; hubUrl: string; repo: string; revision?: string; dtype?: 'f32' | 'f16' }
  /** Files by URL; `name`s (of the model and of each file) are what messages show instead of the URLs; `cache: false` keeps no copy. */
  | { kind: 'urls'; transformerUrl: string; transformerConfigUrl?: string; vaeUrl?: string; vaeConfigUrl?: string; dtype?: 'f32' | 'f16'; name?: string; transformerName?: string; vaeName?: string; cache?: boolean }
  | { kind: 'files'; transformer: Blob; transformerConfig?: Blob; vae?: Blob; vaeConfig?: Blob; dtype?: 'f32' | 'f16' };

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  description: string;
  features: string[];
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

import type { DownloadProgress } from '../weights/download.ts';

/** Download progress: which file, bytes, speed, ETA, and whether it came from the cache. */
export type LoadProgress = DownloadProgress;

export interface ModelInfo {
  id: string;
  name: string;
  /** Image side in pixels. */
  imageSize: number;
  numClasses: number;
  /** Class ids the model was trained on (the built-in model knows a subset of ImageNet). */
  knownClasses?: number[];
  license: string;
  cached: boolean;
  /** Why the model could not be cached (the browser's storage quota): it works for this visit only. */
  cacheWarning?: string;
}

/** A class between two: the label embedding (1 − weight)·table[class] + weight·table[blend class]. */
export interface ClassBlend {
  classId: number;
  /** In [0, 1]: 0 is the picture's own class, 1 the blend class. */
  weight: number;
}

/** What may differ between the pictures of one batched run. */
export interface PictureParams {
  classId: number;
  cfgScale: number;
  seed: number;
  blend?: ClassBlend;
}

export interface GenerateParams extends PictureParams {
  steps: number;
  sampler: SamplerKind;
}

/** Several pictures in one sampling run (a guidance sweep, a seed grid, a blend strip). */
export interface BatchParams {
  pictures: PictureParams[];
  steps: number;
  sampler: SamplerKind;
}

/** An RGBA image; `rgba` is transferred, never copied. */
export interface Frame {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}

/** What the model believes at one step, per picture. */
export interface StepViews {
  /** The model's predicted clean image x̂₀. */
  x0: Frame;
  /** The noisy sample after the step, x_{t−1}. */
  xt: Frame;
  /** The predicted noise ε (after guidance). */
  eps: Frame;
}

export interface StepUpdate {
  /** 1-based step just finished. */
  step: number;
  total: number;
  /** The predicted clean image x̂₀ (= views.x0). */
  preview: Frame;
  views: StepViews;
  stepsPerSecond: number;
}

export interface BatchStepUpdate {
  step: number;
  total: number;
  /** One per picture, in the order asked. */
  views: StepViews[];
  stepsPerSecond: number;
}

export interface GenerateResult {
  image: Frame;
  params: GenerateParams;
  modelId: string;
  elapsedMs: number;
}

export interface BatchResult {
  /** One per picture, in the order asked. */
  images: Frame[];
  params: BatchParams;
  modelId: string;
  elapsedMs: number;
}

export interface EngineApi {
  /** Opens the GPU device; throws an Error whose message says why WebGPU is unavailable. */
  init(): Promise<AdapterSummary>;
  /**
   * `onNotice` hears what the user should be told that is no error: a damaged cached file deleted
   * and downloaded again, a download that cannot be verified.
   */
  load(spec: ModelSpec, onProgress?: (p: LoadProgress) => void, onNotice?: (message: string) => void): Promise<ModelInfo>;
  generate(params: GenerateParams, onStep?: (s: StepUpdate) => void): Promise<GenerateResult>;
  /** Several pictures in one sampling run; each equals its single `generate` within ±1 per channel. */
  generateBatch(params: BatchParams, onStep?: (s: BatchStepUpdate) => void): Promise<BatchResult>;
  /** Stops the generation in progress (its promise rejects with an AbortError-named Error). */
  cancel(): void;
  clearCache(): Promise<void>;
  /**
   * Calls `listener` with the reason as soon as the GPU device is lost (a driver reset, a destroyed
   * device), between runs too, for every device the engine opens. The loaded model is gone with it.
   */
  onDeviceLost(listener: (message: string) => void): void;
}
