/**
 * The engine behind the app's worker (EngineApi): loads a model (the built-in one, a Hub repo,
 * URLs or local files), generates an image for a class with a live preview per step, decodes the
 * final latent with the VAE, cancels, and turns every failure into an Error with a message.
 */
import { transfer } from 'comlink';
import { isQuotaError, type WeightsStore } from '../weights/cache.ts';
import { openIdbStore } from '../weights/idb-store.ts';
import { openOpfsStore, opfsAvailable } from '../weights/opfs-store.ts';
import type { AdapterSummary, EngineApi, Frame, GenerateParams, GenerateResult, LoadProgress, ModelInfo, ModelSpec, StepUpdate } from './api.ts';
import type { DitRunner } from './dit-runner.ts';
import { FrameMaker } from './frames.ts';
import { adapterSummary, createGpuContext, type GpuContext } from './gpu-context.ts';
import { loadDit, loadVae } from './model-loader.ts';
import { resolveModelFiles } from './model-sources.ts';
import { initialNoise, stepNoiseProvider } from './noise-source.ts';
import { SampleRunner } from './sample-runner.ts';
import { readTensor } from '../gpu/tensor.ts';
import type { VaeRunner } from './vae-runner.ts';

interface LoadedModel {
  key: string;
  info: ModelInfo;
  dit: DitRunner;
  vae: VaeRunner | null;
}

function abortError(): Error {
  const e = new Error('cancelled');
  e.name = 'AbortError';
  return e;
}

export class AppEngine implements EngineApi {
  private ctx: GpuContext | null = null;
  private model: LoadedModel | null = null;
  private abort: AbortController | null = null;
  private store: Promise<WeightsStore | null> | null = null;

  /** `builtinBase`: the URL folder holding the built-in model's files. */
  constructor(private readonly builtinBase: string) {}

  private async context(): Promise<GpuContext> {
    if (this.ctx?.gpu.lostReason) this.ctx = null; // a lost device: start over with a new one
    this.ctx ??= await createGpuContext();
    return this.ctx;
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

  async load(spec: ModelSpec, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
    const key = JSON.stringify(spec.kind === 'files' ? { kind: 'files', name: (spec.transformer as File).name, size: spec.transformer.size } : spec);
    if (this.model?.key === key) return this.model.info;
    const ctx = await this.context();
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    try {
      const store = spec.kind === 'hub' || spec.kind === 'urls' ? await this.cache() : null;
      const progress = onProgress ? async (p: LoadProgress) => { await onProgress({ ...p, etaSeconds: Number.isFinite(p.etaSeconds) ? p.etaSeconds : 0 }); } : undefined;
      const files = await resolveModelFiles(spec, { builtinBase: this.builtinBase, store, onProgress: progress, signal: abort.signal });
      const f16 = spec.kind !== 'builtin' && spec.dtype === 'f16';
      this.release();
      const dit = await loadDit(ctx, files.transformer, files.config, { f16, signal: abort.signal });
      const vae = files.vae ? await loadVae(ctx, files.vae.weights, files.vae.config, abort.signal) : null;
      if (!vae && files.config.in_channels !== 3) throw new Error(`this model denoises ${files.config.in_channels}-channel latents and needs a VAE to make an image`);
      const scale = vae ? 2 ** (vae.config.block_out_channels.length - 1) : 1;
      const info: ModelInfo = {
        id: key,
        name: files.name,
        imageSize: files.config.input_size * scale,
        numClasses: files.config.num_classes,
        knownClasses: files.knownClasses,
        license: files.license,
        cached: files.cached,
      };
      this.model = { key, info, dit, vae };
      return info;
    } catch (e) {
      if (abort.signal.aborted) throw abortError();
      if (isQuotaError(e)) throw new Error(`the browser's storage is full: ${(e as Error).message}`);
      throw e;
    } finally {
      if (this.abort === abort) this.abort = null;
    }
  }

  /** Frees the loaded model's GPU memory. */
  private release(): void {
    this.model = null;
    this.ctx?.alloc.freeAll();
  }

  async generate(params: GenerateParams, onStep?: (s: StepUpdate) => void): Promise<GenerateResult> {
    const model = this.model;
    if (!model) throw new Error('no model is loaded');
    const ctx = await this.context();
    const c = model.dit.config;
    if (!Number.isInteger(params.classId) || params.classId < 0 || params.classId >= c.num_classes) throw new Error(`class ${params.classId} is outside 0..${c.num_classes - 1}`);
    if (!Number.isInteger(params.steps) || params.steps < 1 || params.steps > 1000) throw new Error(`steps must be 1..1000, got ${params.steps}`);
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    const latentSize = c.in_channels * c.input_size ** 2;
    const noise = { seed: params.seed };
    const t0 = performance.now();
    const runner = new SampleRunner(ctx.gpu, ctx.alloc, ctx.pipelines, model.dit.weights);
    const shape: [number, number, number, number] = [1, c.in_channels, c.input_size, c.input_size];
    const isLatent = model.vae !== null;
    let preview: FrameMaker | null = null;
    let finalPixels: Frame | null = null;
    let finalLatent: Float32Array | null = null;
    try {
      await runner.sample({
        labels: Int32Array.of(params.classId), z: initialNoise(noise, latentSize), respacing: String(params.steps), sampler: params.sampler,
        cfgScale: params.cfgScale, stepNoise: stepNoiseProvider(noise, latentSize, 1),
        signal: abort.signal,
        onStep: async (k, total, x0, sample) => {
          preview ??= new FrameMaker(ctx.gpu, ctx.alloc, ctx.pipelines, x0, shape, isLatent);
          if (k === total - 1) {
            // The runner frees its buffers when it returns: take the final sample now.
            if (isLatent) finalLatent = (await readTensor(ctx.gpu, sample)).slice(0, latentSize);
            else {
              const last = new FrameMaker(ctx.gpu, ctx.alloc, ctx.pipelines, sample, shape, false);
              finalPixels = await last.frame();
              last.destroy();
            }
          }
          if (!onStep) return;
          const frame = await preview.frame();
          const seconds = (performance.now() - t0) / 1000;
          await onStep(transfer({ step: k + 1, total, preview: frame, stepsPerSecond: (k + 1) / seconds }, [frame.rgba.buffer]));
        },
      });
      let image = finalPixels as Frame | null;
      const latent = finalLatent as Float32Array | null;
      if (model.vae && latent) {
        if (abort.signal.aborted) throw abortError();
        const scaling = model.vae.config.scaling_factor;
        const z = { shape: [...shape], data: latent.map((v) => v / scaling) };
        const [decoded] = await model.vae.decodeToImages(z);
        image = { width: decoded.width, height: decoded.height, rgba: decoded.rgba };
      }
      if (!image) throw new Error('sampling finished without a final image');
      return transfer({ image, params, modelId: model.info.id, elapsedMs: performance.now() - t0 }, [image.rgba.buffer]);
    } catch (e) {
      if (abort.signal.aborted || (e as Error).name === 'AbortError') throw abortError();
      throw e;
    } finally {
      (preview as FrameMaker | null)?.destroy();
      if (this.abort === abort) this.abort = null;
    }
  }

  cancel(): void {
    this.abort?.abort();
  }

  async clearCache(): Promise<void> {
    const store = await this.cache();
    await store?.clear();
  }
}
