/**
 * The engine behind the app's worker (EngineApi): loads a model, generates an image for a class
 * with live previews, cancels, and turns every failure into an Error with a message.
 */
import { transfer } from 'comlink';
import { checked } from '../gpu/device.ts';
import { parseDitConfig, type DitConfig } from '../model/config.ts';
import { uploadDitWeights } from '../model/dit.ts';
import { safetensorsSource } from '../model/safetensors-source.ts';
import { SafetensorsFile } from '../weights/safetensors.ts';
import type { AdapterSummary, EngineApi, Frame, GenerateParams, GenerateResult, LoadProgress, ModelInfo, ModelSpec, StepUpdate } from './api.ts';
import { DitRunner } from './dit-runner.ts';
import { FrameMaker } from './frames.ts';
import { adapterSummary, createGpuContext, type GpuContext } from './gpu-context.ts';
import { initialNoise, stepNoiseProvider } from './noise-source.ts';
import { SampleRunner } from './sample-runner.ts';

interface LoadedModel {
  info: ModelInfo;
  dit: DitRunner;
}

/** Reads a URL whole, reporting progress. */
async function fetchWithProgress(url: string, file: string, onProgress?: (p: LoadProgress) => void): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not download ${file} from ${url}: HTTP ${res.status}`);
  const total = Number(res.headers.get('content-length') ?? 0);
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const t0 = performance.now();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    const seconds = (performance.now() - t0) / 1000;
    const rate = seconds > 0 ? loaded / seconds : 0;
    onProgress?.({ file, loadedBytes: loaded, totalBytes: total || loaded, bytesPerSecond: rate, etaSeconds: rate > 0 && total ? (total - loaded) / rate : 0, fromCache: false });
  }
  const out = new Uint8Array(loaded);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.byteLength; }
  return out;
}

function knownClassIds(raw: unknown): number[] {
  const list = Array.isArray(raw) ? raw : Array.isArray((raw as { classes?: unknown })?.classes) ? (raw as { classes: unknown[] }).classes : [];
  return list.map((e) => (typeof e === 'number' ? e : (e as { class_id?: number; id?: number }).class_id ?? (e as { id?: number }).id)).filter((n): n is number => Number.isInteger(n));
}

export class AppEngine implements EngineApi {
  private ctx: GpuContext | null = null;
  private model: LoadedModel | null = null;
  private abort: AbortController | null = null;

  /** `builtinBase`: the URL folder holding the built-in model's files. */
  constructor(private readonly builtinBase: string) {}

  private async context(): Promise<GpuContext> {
    this.ctx ??= await createGpuContext();
    return this.ctx;
  }

  async init(): Promise<AdapterSummary> {
    return adapterSummary((await this.context()).gpu);
  }

  async load(spec: ModelSpec, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
    const ctx = await this.context();
    if (spec.kind !== 'builtin' && spec.kind !== 'urls') {
      throw new Error(`loading ${spec.kind === 'hub' ? `${spec.repo} from the Hub` : 'local files'} needs the VAE and the Hub loader, which this build does not include yet`);
    }
    const base = this.builtinBase.endsWith('/') ? this.builtinBase : `${this.builtinBase}/`;
    const urls = spec.kind === 'builtin'
      ? { weights: `${base}dit-builtin.safetensors`, config: `${base}config.json`, classes: `${base}classes.json` }
      : { weights: spec.transformerUrl, config: spec.transformerConfigUrl, classes: undefined };
    if (!urls.config) throw new Error('a transformer config URL is needed');
    const config: DitConfig = parseDitConfig(await (await fetch(urls.config)).json());
    const bytes = await fetchWithProgress(urls.weights, 'dit-builtin.safetensors', onProgress);
    const known = urls.classes ? knownClassIds(await (await fetch(urls.classes)).json()) : undefined;
    const weights = await checked(ctx.gpu, 'uploading the weights', () => uploadDitWeights(ctx.alloc, safetensorsSource(SafetensorsFile.fromBytes(bytes)), config));
    if (config.in_channels !== 3) throw new Error('latent-space models need the VAE, which this build does not include yet');
    this.model = {
      dit: new DitRunner(ctx.gpu, ctx.alloc, ctx.pipelines, weights),
      info: {
        id: spec.kind === 'builtin' ? 'builtin' : urls.weights,
        name: spec.kind === 'builtin' ? `Built-in (offline, ${known?.length ?? config.num_classes} classes)` : 'DiT',
        imageSize: config.input_size,
        numClasses: config.num_classes,
        knownClasses: known,
        license: spec.kind === 'builtin' ? 'Trained by DiT Studio on Noto Color Emoji (SIL OFL 1.1)' : 'see the model card',
        cached: false,
      },
    };
    return this.model.info;
  }

  async generate(params: GenerateParams, onStep?: (s: StepUpdate) => void): Promise<GenerateResult> {
    const model = this.model;
    if (!model) throw new Error('no model is loaded');
    const ctx = await this.context();
    const c = model.dit.config;
    if (!Number.isInteger(params.classId) || params.classId < 0 || params.classId >= c.num_classes) throw new Error(`class ${params.classId} is outside 0..${c.num_classes - 1}`);
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    const latent = c.in_channels * c.input_size ** 2;
    const noise = { seed: params.seed };
    const t0 = performance.now();
    const runner = new SampleRunner(ctx.gpu, ctx.alloc, ctx.pipelines, model.dit.weights);
    const shape: [number, number, number, number] = [1, c.in_channels, c.input_size, c.input_size];
    const respacing = String(params.steps);
    let preview: FrameMaker | null = null;
    let image: Frame | null = null;
    try {
      const stochastic = params.sampler === 'ddpm';
      await runner.sample({
        labels: Int32Array.of(params.classId), z: initialNoise(noise, latent), respacing, sampler: params.sampler,
        cfgScale: params.cfgScale, stepNoise: stepNoiseProvider(noise, latent, 1, (k) => stochastic && k !== params.steps - 1),
        signal: abort.signal,
        onStep: async (k, total, x0, sample) => {
          preview ??= new FrameMaker(ctx.gpu, ctx.alloc, ctx.pipelines, x0, shape, c.in_channels === 4);
          if (k === total - 1) {
            // The runner frees its buffers when it returns: take the final image now.
            const last = new FrameMaker(ctx.gpu, ctx.alloc, ctx.pipelines, sample, shape, c.in_channels === 4);
            image = await last.frame();
            last.destroy();
          }
          if (!onStep) return;
          const frame = await preview.frame();
          const seconds = (performance.now() - t0) / 1000;
          await onStep(transfer({ step: k + 1, total, preview: frame, stepsPerSecond: (k + 1) / seconds }, [frame.rgba.buffer]));
        },
      });
      const done = image as Frame | null;
      if (!done) throw new Error('sampling finished without a final image');
      return transfer({ image: done, params, modelId: model.info.id, elapsedMs: performance.now() - t0 }, [done.rgba.buffer]);
    } finally {
      (preview as FrameMaker | null)?.destroy();
      if (this.abort === abort) this.abort = null;
    }
  }

  cancel(): void {
    this.abort?.abort();
  }

  async clearCache(): Promise<void> {
    // Nothing is cached by this build: the built-in model ships with the app.
  }
}
