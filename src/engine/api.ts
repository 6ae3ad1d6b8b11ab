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
}

export interface GenerateParams {
  classId: number;
  cfgScale: number;
  steps: number;
  sampler: SamplerKind;
  seed: number;
}

/** An RGBA image; `rgba` is transferred, never copied. */
export interface Frame {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}

export interface StepUpdate {
  /** 1-based step just finished. */
  step: number;
  total: number;
  preview: Frame;
  stepsPerSecond: number;
}

export interface GenerateResult {
  image: Frame;
  params: GenerateParams;
  modelId: string;
  elapsedMs: number;
}

export interface EngineApi {
  /** Opens the GPU device; throws an Error whose message says why WebGPU is unavailable. */
  init(): Promise<AdapterSummary>;
  load(spec: ModelSpec, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo>;
  generate(params: GenerateParams, onStep?: (s: StepUpdate) => void): Promise<GenerateResult>;
  /** Stops the generation in progress (its promise rejects with an AbortError-named Error). */
  cancel(): void;
  clearCache(): Promise<void>;
}
