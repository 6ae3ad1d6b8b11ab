/**
 * The one engine, behind every host: the app's worker, and the headless worker that the command
 * line, the tests and the benchmarks drive. It owns the GPU device, loads models (the built-in
 * one, a Hub repo, URLs or local files), generates images, and offers the reference entry points
 * (`dit forward`, `sample`, `decode`) on models loaded by URL. Every failure is an Error whose
 * message names the problem.
 */
import { transfer } from 'comlink';
import type { AttentionVariant } from '../gpu/attention-tiles.ts';
import { GpuError } from '../gpu/device.ts';
import type { HostTensorF32 } from '../gpu/host-tensor.ts';
import { type MatmulTile, tileName } from '../gpu/matmul-tiles.ts';
import { type DitConfig, parseDitConfig } from '../model/config.ts';
import { SampleRunner } from '../sampling/gpu-sampler.ts';
import { initialNoise, type NoiseSpec, stepNoiseProvider } from '../sampling/noise-source.ts';
import type { SamplerKind } from '../sampling/sampler-kind.ts';
import { isQuotaError, type WeightsStore } from '../weights/cache.ts';
import { openIdbStore } from '../weights/idb-store.ts';
import { openOpfsStore, opfsAvailable } from '../weights/opfs-store.ts';
import type { AdapterSummary, BatchParams, BatchResult, BatchStepUpdate, EngineApi, GenerateParams, GenerateResult, LoadProgress, ModelInfo, ModelSpec, StepUpdate, StepViews } from './api.ts';
import type { DitRunner, ForwardOptions } from './dit-runner.ts';
import { generateImages } from './generate.ts';
import { lostDeviceError } from './device-loss.ts';
import { adapterSummary, createGpuContext, type GpuContext } from './gpu-context.ts';
import { dryModel, type KernelPrepApi, type KernelProgress, type PreparedKernels, prepareKernels } from './kernel-prep.ts';
import { urlSource } from '../weights/http-source.ts';
import { type DitLoadOptions, loadDit, loadVae } from './model-loader.ts';
import { modelIdentity } from './model-identity.ts';
import { resolveModelFiles } from './model-sources.ts';
import { loadKernelChoices, tuningKey } from './tuning-store.ts';
import type { DecodedImage, VaeDecodeOptions, VaeRunner } from './vae-runner.ts';

/** A sampling run of a model loaded by URL (`dit sample`). */
export interface DitSampleRequest {
  labels: Int32Array;
  respacing: string;
  sampler: SamplerKind;
  cfgScale: number;
  cfgChannels?: 3 | 'all';
  eta?: number;
  noise: NoiseSpec;
  keepSamples?: boolean;
}

export interface KernelChoices {
  matmul: Record<string, string>;
  /** By shape: the vec4 kernel's query rows per invocation, or "flash". */
  attention: Record<string, AttentionVariant>;
}

interface LoadedModel {
  info: ModelInfo;
  dit: DitRunner;
  vae: VaeRunner | null;
}

/** Choices for reports: each matmul tile by its name. */
function namedChoices(matmul: Record<string, MatmulTile>, attention: Record<string, AttentionVariant>): KernelChoices {
  return { matmul: Object.fromEntries(Object.entries(matmul).map(([shape, tile]) => [shape, tileName(tile)])), attention };
}

/** The pixel buffers of step views, to transfer rather than copy. */
function viewBuffers(views: StepViews[]): ArrayBuffer[] {
  return views.flatMap((v) => [v.x0.rgba.buffer, v.xt.rgba.buffer, v.eps.rgba.buffer]) as ArrayBuffer[];
}

/** Calls a host's callback without waiting: through comlink it answers with a promise, which fails once the page is gone. */
function tell(callback: (message: string) => void, message: string): void {
  void Promise.resolve(callback(message)).catch(() => undefined);
}

function abortError(): Error {
  const e = new Error('cancelled');
  e.name = 'AbortError';
  return e;
}

export class Engine implements EngineApi, KernelPrepApi {
  /** The GPU device and what lives on it, opened on first use and again after a loss. */
  private ctx: Promise<GpuContext> | null = null;
  /** The model `load` chose, which `generate` runs. */
  private model: LoadedModel | null = null;
  /** Models loaded by URL for the reference entry points, by id. */
  private readonly dits = new Map<string, DitRunner>();
  private readonly vaes = new Map<string, VaeRunner>();
  private nextId = 0;
  /** Why the models were dropped, when a lost device took them (until the next load). */
  private lostReason: string | null = null;
  private readonly lostListeners = new Set<(message: string) => void>();
  private abort: AbortController | null = null;
  private store: Promise<WeightsStore | null> | null = null;

  /** `builtinBase`: the URL folder holding the built-in model's files. */
  constructor(private readonly builtinBase: string) {}

  /** For code running in the worker beside the engine (the tests' kernel lab, the benchmarks). */
  readonly local = {
    context: (): Promise<GpuContext> => this.context(),
    dit: (id: string): DitRunner => this.dit(id),
    vae: (id: string): VaeRunner => this.vae(id),
  };

  /** The GPU context; a new device once the last one was lost (one opening at a time). */
  private context(): Promise<GpuContext> {
    if (!this.ctx) {
      const opening = createGpuContext();
      this.ctx = opening;
      opening.then(
        (ctx) => void ctx.gpu.device.lost.then(() => this.deviceLost(opening, ctx.gpu.lostReason ?? 'the GPU device was lost')),
        () => { if (this.ctx === opening) this.ctx = null; }, // init may try again
      );
    }
    return this.ctx;
  }

  /**
   * Every buffer of a lost device is dead: forget the device and the models on it at once, so no
   * later call runs them (a later load opens a new device and loads again), and tell the host.
   */
  private deviceLost(lost: Promise<GpuContext>, reason: string): void {
    if (this.ctx !== lost) return;
    this.ctx = null;
    this.model = null;
    this.dits.clear();
    this.vaes.clear();
    this.lostReason = reason;
    for (const listener of this.lostListeners) tell(listener, reason);
  }

  onDeviceLost(listener: (message: string) => void): void {
    this.lostListeners.add(listener);
  }

  /** The error for a model that is not (or no longer) loaded: the device's loss when that dropped it. */
  private notLoaded(what: string): Error {
    return this.lostReason ? new GpuError('lost', `${this.lostReason} (load the model again)`) : new Error(what);
  }

  /** The browser cache for downloads: OPFS, else IndexedDB, else none (downloads are streamed). */
  private cache(): Promise<WeightsStore | null> {
    this.store ??= (async () => {
      try {
        if (opfsAvailable()) return await openOpfsStore();
      } catch { /* fall through to IndexedDB */ }
      try {
        return await openIdbStore();
      } catch {
        return null;
      }
    })();
    return this.store;
  }

  async init(): Promise<AdapterSummary> {
    return adapterSummary((await this.context()).gpu);
  }

  async load(spec: ModelSpec, onProgress?: (p: LoadProgress) => void, onNotice?: (message: string) => void): Promise<ModelInfo> {
    const id = modelIdentity(spec);
    if (this.model?.info.id === id) return this.model.info;
    const ctx = await this.context();
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    try {
      const cached = spec.kind === 'hub' || (spec.kind === 'urls' && spec.cache !== false);
      const store = cached ? await this.cache() : null;
      const progress = onProgress ? async (p: LoadProgress) => { await onProgress({ ...p, etaSeconds: Number.isFinite(p.etaSeconds) ? p.etaSeconds : 0 }); } : undefined;
      const notice = onNotice && ((m: string) => tell(onNotice, m));
      const files = await resolveModelFiles(spec, { builtinBase: this.builtinBase, store, onProgress: progress, onNotice: notice, signal: abort.signal });
      const f16 = spec.kind !== 'builtin' && spec.dtype === 'f16';
      this.model = null;
      ctx.alloc.freeAll(); // one model at a time: free the previous one's GPU memory first
      this.dits.clear();
      this.vaes.clear();
      const dit = await loadDit(ctx, files.transformer, files.config, { f16, signal: abort.signal });
      const vae = files.vae ? await loadVae(ctx, files.vae.weights, files.vae.config, abort.signal) : null;
      if (!vae && files.config.in_channels !== 3) throw new Error(`this model denoises ${files.config.in_channels}-channel latents and needs a VAE to make an image`);
      const scale = vae ? 2 ** (vae.config.block_out_channels.length - 1) : 1;
      const info: ModelInfo = {
        id,
        name: files.name,
        imageSize: files.config.input_size * scale,
        numClasses: files.config.num_classes,
        knownClasses: files.knownClasses,
        license: files.license,
        cached: files.cached,
        cacheWarning: files.cacheWarning,
      };
      this.model = { info, dit, vae };
      this.lostReason = null;
      return info;
    } catch (e) {
      if (abort.signal.aborted) throw abortError();
      if (isQuotaError(e)) throw new Error(`the browser's storage is full: ${(e as Error).message}`);
      throw e;
    } finally {
      if (this.abort === abort) this.abort = null;
    }
  }

  /**
   * Generates one image with the loaded model. `noise` replaces the seed's noise (`z`, and
   * `step_noise` for DDPM) where a host injects it, as `dit generate --noise`.
   */
  async generate(params: GenerateParams, onStep?: (s: StepUpdate) => void, noise?: NoiseSpec): Promise<GenerateResult> {
    const { steps, sampler, ...picture } = params;
    const batch = await this.run({ pictures: [picture], steps, sampler }, onStep && (async (s) => {
      const [views] = s.views;
      await onStep(transfer({ step: s.step, total: s.total, preview: views.x0, views, stepsPerSecond: s.stepsPerSecond }, viewBuffers([views])));
    }), noise);
    const [image] = batch.images;
    return transfer({ image, params, modelId: batch.modelId, elapsedMs: batch.elapsedMs }, [image.rgba.buffer]);
  }

  async generateBatch(params: BatchParams, onStep?: (s: BatchStepUpdate) => void): Promise<BatchResult> {
    const result = await this.run(params, onStep && (async (s) => { await onStep(transfer(s, viewBuffers(s.views))); }));
    return transfer(result, result.images.map((i) => i.rgba.buffer));
  }

  private async run(params: BatchParams, onStep: ((s: BatchStepUpdate) => Promise<void>) | undefined, noise?: NoiseSpec): Promise<BatchResult> {
    const model = this.model;
    if (!model) throw this.notLoaded('no model is loaded');
    const ctx = await this.context();
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    const t0 = performance.now();
    try {
      await this.prepareRun(ctx, model, params);
      const images = await generateImages(ctx, model, params, {
        noise, signal: abort.signal,
        onStep: onStep && (async (step, total, views) => {
          await onStep({ step, total, views, stepsPerSecond: step / ((performance.now() - t0) / 1000) });
        }),
      });
      return { images, params, modelId: model.info.id, elapsedMs: performance.now() - t0 };
    } catch (e) {
      if (abort.signal.aborted) throw abortError();
      // A lost device fails the work in flight with an AbortError too: that is no cancel.
      const lost = await lostDeviceError(ctx.gpu, e);
      if (lost) throw lost;
      if ((e as Error).name === 'AbortError') throw abortError();
      throw e;
    } finally {
      if (this.abort === abort) this.abort = null;
    }
  }

  // ---------------------------------------------- kernels compiled before the first step

  /**
   * Compiles, all at once, the GPU pipelines `generate(params)` will use (kernel-prep.ts), with
   * their progress; generate does the same (a no-op once done), so a host calls this only to show
   * the progress or to compile ahead of the user's first Generate.
   */
  async prepare(params: GenerateParams, onProgress?: (p: KernelProgress) => void): Promise<PreparedKernels> {
    const model = this.model;
    if (!model) throw this.notLoaded('no model is loaded');
    const { steps, sampler, ...picture } = params;
    return this.prepareRun(await this.context(), model, { pictures: [picture], steps, sampler }, onProgress);
  }

  private prepareRun(ctx: GpuContext, model: LoadedModel, params: BatchParams, onProgress?: (p: KernelProgress) => void): Promise<PreparedKernels> {
    // One step is enough: every step records the same kernels.
    return prepareKernels(ctx, (dry, firstStep) => generateImages(dry, dryModel(model, dry), { ...params, steps: 1 }, { onStep: firstStep }), onProgress);
  }

  cancel(): void {
    this.abort?.abort();
  }

  async clearCache(): Promise<void> {
    const store = await this.cache();
    await store?.clear();
  }

  // ------------------------------------------------- reference entry points (models by URL)

  /** Loads DiT weights (safetensors or PyTorch zip; official or diffusers layout) and returns a model id. */
  async loadDit(weightsUrl: string, config: DitConfig, opts: DitLoadOptions = {}): Promise<string> {
    const ctx = await this.context();
    const runner = await loadDit(ctx, await urlSource(weightsUrl), parseDitConfig(config), opts);
    const id = `dit-${this.nextId++}`;
    this.dits.set(id, runner);
    return id;
  }

  /** Loads SD-VAE decoder weights (diffusers, legacy diffusers or original LDM names) and returns a model id. */
  async loadVae(weightsUrl: string, config: unknown): Promise<string> {
    const ctx = await this.context();
    const runner = await loadVae(ctx, await urlSource(weightsUrl), config);
    const id = `vae-${this.nextId++}`;
    this.vaes.set(id, runner);
    return id;
  }

  async ditForward(modelId: string, x: HostTensorF32, t: Float32Array, y: Int32Array, opts: ForwardOptions): Promise<Record<string, HostTensorF32>> {
    return this.dit(modelId).forward({ x, t, y }, opts);
  }

  /** The sampling loop on the GPU; returns the conditional half's final latent and, if asked, every step's. */
  async ditSample(modelId: string, req: DitSampleRequest): Promise<{ final: HostTensorF32; samples?: HostTensorF32 }> {
    const runner = this.dit(modelId);
    const ctx = await this.context();
    const c = runner.config;
    const B = req.labels.length;
    const latent = c.in_channels * c.input_size ** 2;
    const sampler = new SampleRunner(ctx.gpu, ctx.alloc, ctx.pipelines, runner.weights);
    const result = await sampler.sample({
      labels: req.labels, z: initialNoise(req.noise, B * latent), respacing: req.respacing, sampler: req.sampler, cfgScale: req.cfgScale,
      cfgChannels: req.cfgChannels, eta: req.eta, stepNoise: stepNoiseProvider(req.noise, latent, B), keepSamples: req.keepSamples,
    });
    const shape = [B, c.in_channels, c.input_size, c.input_size];
    return { final: { shape, data: result.final }, samples: result.samples ? { shape: [result.steps, ...shape], data: result.samples } : undefined };
  }

  /** decode(z) = decoder(post_quant_conv(z)); z is the latent already divided by the scaling factor. */
  async vaeDecode(id: string, z: HostTensorF32, opts: VaeDecodeOptions = {}): Promise<Record<string, HostTensorF32>> {
    return this.vae(id).decode(z, opts);
  }

  /** decode(z) as one RGBA8 image per sample. */
  async vaeDecodeImages(id: string, z: HostTensorF32, opts: VaeDecodeOptions = {}): Promise<DecodedImage[]> {
    return this.vae(id).decodeToImages(z, opts);
  }

  // ------------------------------------------------------------------------ diagnostics

  /** Live and peak bytes of the engine's allocator; `resetPeak` restarts the peak from what is live. */
  async memoryStats(resetPeak = false): Promise<{ liveBytes: number; peakBytes: number }> {
    const { alloc } = await this.context();
    if (resetPeak) alloc.peakBytes = alloc.liveBytes;
    return { liveBytes: alloc.liveBytes, peakBytes: alloc.peakBytes };
  }

  /** The autotune's choices so far, by shape: the matmul tile and attention queries per invocation. */
  async kernelChoices(): Promise<KernelChoices> {
    const p = (await this.context()).pipelines;
    return namedChoices(p.matmulTiles.toJSON(), p.attentionTiles.toJSON());
  }

  /** Pipelines compiled so far, and the keys of those compiled on first use instead of ahead of their run (kernel-prep.ts). */
  async pipelineStats(): Promise<{ compiled: number; compiledOnUse: string[] }> {
    const p = (await this.context()).pipelines;
    return { compiled: p.size, compiledOnUse: [...p.compiledOnUse] };
  }

  /** The same, as saved for this adapter (IndexedDB); null when nothing is saved. */
  async savedKernelChoices(): Promise<KernelChoices | null> {
    const saved = await loadKernelChoices(tuningKey((await this.context()).gpu));
    return saved && namedChoices(saved.matmul ?? {}, saved.attention ?? {});
  }

  private dit(id: string): DitRunner {
    const runner = this.dits.get(id);
    if (!runner) throw this.notLoaded(`no model "${id}" is loaded`);
    return runner;
  }

  private vae(id: string): VaeRunner {
    const runner = this.vaes.get(id);
    if (!runner) throw this.notLoaded(`no VAE "${id}" is loaded`);
    return runner;
  }
}
