/**
 * Engine entry points for the command line, the tests and the benchmarks: load a model from a
 * URL, run a forward on given tensors, run single kernels.
 */
import { type DitConfig, parseDitConfig } from '../model/config.ts';
import type { AdapterSummary } from './api.ts';
import { DitRunner, type ForwardOptions } from './dit-runner.ts';
import { adapterSummary, createGpuContext, type GpuContext } from './gpu-context.ts';
import { type KernelResult, type KernelRun, runKernel } from './lab.ts';
import { tileName } from '../gpu/matmul-tiles.ts';
import { loadKernelChoices, tuningKey } from './tuning-store.ts';
import { type DitLoadOptions, loadDit, loadVae, urlSource } from './model-loader.ts';
import type { HostTensorF32 } from './tensors.ts';
import type { GpuSamplerKind } from '../sampling/step-coefficients.ts';
import { initialNoise, type NoiseSpec, stepNoiseProvider } from './noise-source.ts';
import { SampleRunner } from './sample-runner.ts';
import { type DecodedImage, VAE_WORK_PER_SUBMIT, type VaeDecodeOptions, VaeRunner } from './vae-runner.ts';
import { countGpuCalls, type GpuCallCounts, timeRuns, type TimingOptions } from './bench.ts';

export interface DitSampleRequest {
  labels: Int32Array;
  respacing: string;
  sampler: GpuSamplerKind;
  cfgScale: number;
  cfgChannels?: 3 | 'all';
  eta?: number;
  noise: NoiseSpec;
  keepSamples?: boolean;
}

export class HeadlessEngine {
  private ctx: GpuContext | null = null;
  private readonly models = new Map<string, DitRunner>();
  private readonly vaes = new Map<string, VaeRunner>();

  private async context(): Promise<GpuContext> {
    this.ctx ??= await createGpuContext();
    return this.ctx;
  }

  async init(): Promise<AdapterSummary> {
    return adapterSummary((await this.context()).gpu);
  }

  /** The autotune's choices so far, by shape, for reports: the matmul tile and attention queries per invocation. */
  async kernelChoices(): Promise<{ matmul: Record<string, string>; attention: Record<string, number> }> {
    const p = (await this.context()).pipelines;
    return { matmul: Object.fromEntries(Object.entries(p.matmulTiles.toJSON()).map(([k, t]) => [k, tileName(t)])), attention: p.attentionTiles.toJSON() };
  }

  /** The same, as saved for this adapter (IndexedDB); null when nothing is saved. */
  async savedKernelChoices(): Promise<{ matmul: Record<string, string>; attention: Record<string, number> } | null> {
    const saved = await loadKernelChoices(tuningKey((await this.context()).gpu));
    return saved && { matmul: Object.fromEntries(Object.entries(saved.matmul ?? {}).map(([k, t]) => [k, tileName(t)])), attention: saved.attention ?? {} };
  }

  /** Loads DiT weights (safetensors or PyTorch zip; official or diffusers layout) and returns a model id. */
  async loadDit(weightsUrl: string, config: DitConfig, opts: DitLoadOptions = {}): Promise<string> {
    const ctx = await this.context();
    const runner = await loadDit(ctx, await urlSource(weightsUrl), parseDitConfig(config), opts);
    const id = `dit-${this.models.size}`;
    this.models.set(id, runner);
    return id;
  }

  async ditForward(modelId: string, x: HostTensorF32, t: Float32Array, y: Int32Array, opts: ForwardOptions): Promise<Record<string, HostTensorF32>> {
    return this.model(modelId).forward({ x, t, y }, opts);
  }

  /** The sampling loop on the GPU; returns the conditional half's final latent and, if asked, every step's. */
  async ditSample(modelId: string, req: DitSampleRequest): Promise<{ final: HostTensorF32; samples?: HostTensorF32 }> {
    const runner = this.model(modelId);
    const ctx = await this.context();
    const c = runner.config;
    const B = req.labels.length;
    const latent = c.in_channels * c.input_size ** 2;
    const z = initialNoise(req.noise, B * latent);
    const sampler = new SampleRunner(ctx.gpu, ctx.alloc, ctx.pipelines, runner.weights);
    const result = await sampler.sample({
      labels: req.labels, z, respacing: req.respacing, sampler: req.sampler, cfgScale: req.cfgScale, cfgChannels: req.cfgChannels,
      eta: req.eta, stepNoise: stepNoiseProvider(req.noise, latent, B), keepSamples: req.keepSamples,
    });
    const shape = [B, c.in_channels, c.input_size, c.input_size];
    return { final: { shape, data: result.final }, samples: result.samples ? { shape: [result.steps, ...shape], data: result.samples } : undefined };
  }

  // ------------------------------------------------------------------ benchmarks (npm run bench)

  /** The engine methods this worker offers (the benchmarks skip what is not there yet). */
  async methods(): Promise<string[]> {
    return Object.getOwnPropertyNames(HeadlessEngine.prototype).filter((n) => n !== 'constructor');
  }

  /** Live and peak bytes of the engine's allocator; `resetPeak` restarts the peak from what is live. */
  async memoryStats(resetPeak = false): Promise<{ liveBytes: number; peakBytes: number }> {
    const { alloc } = await this.context();
    if (resetPeak) alloc.peakBytes = alloc.liveBytes;
    return { liveBytes: alloc.liveBytes, peakBytes: alloc.peakBytes };
  }

  /** Times forwards in the worker, each from inputs on the CPU to the output read back to the CPU (at least one warm-up runs). */
  async benchDitForward(modelId: string, x: HostTensorF32, t: Float32Array, y: Int32Array, timing: TimingOptions): Promise<{ times: number[]; out: HostTensorF32; calls: GpuCallCounts }> {
    const runner = this.model(modelId);
    const inp = { x, t, y };
    let out: HostTensorF32 | null = null;
    // The first warm-up forward is the one whose GPU calls are counted.
    const { counts } = await countGpuCalls(async () => { out = (await runner.forward(inp)).out; });
    const times = await timeRuns({ warmup: Math.max(0, timing.warmup - 1), runs: timing.runs }, async () => { out = (await runner.forward(inp)).out; });
    return { times, out: out!, calls: counts };
  }

  /**
   * Times the GPU sampling loop step by step: step k's time runs from step k-1's completion to
   * step k's (the CPU's per-step writes, the step's submission, the GPU's work). Step 0, which
   * follows recording and setup, is not timed. Also counts each step's dispatches and submits.
   */
  async benchDitSample(modelId: string, req: { labels: Int32Array; respacing: string; sampler: GpuSamplerKind; cfgScale: number; seed: number }): Promise<{ stepTimes: number[]; steps: number; calls: GpuCallCounts[] }> {
    const runner = this.model(modelId);
    const ctx = await this.context();
    const c = runner.config;
    const latent = c.in_channels * c.input_size ** 2;
    const B = req.labels.length;
    const stepTimes: number[] = [];
    const calls: GpuCallCounts[] = [];
    let last = 0;
    let before: GpuCallCounts | null = null;
    const { result } = await countGpuCalls((live) => {
      const sampler = new SampleRunner(ctx.gpu, ctx.alloc, ctx.pipelines, runner.weights);
      return sampler.sample({
        labels: req.labels, z: initialNoise({ seed: req.seed }, B * latent), respacing: req.respacing, sampler: req.sampler,
        cfgScale: req.cfgScale, stepNoise: stepNoiseProvider({ seed: req.seed }, latent, B),
        onStep: async (k) => {
          await ctx.gpu.device.queue.onSubmittedWorkDone();
          const now = performance.now();
          if (k > 0) {
            stepTimes.push(now - last);
            calls.push({ dispatches: live.dispatches - before!.dispatches, submits: live.submits - before!.submits, commandBuffers: live.commandBuffers - before!.commandBuffers });
          }
          last = now;
          before = { ...live };
        },
      });
    });
    return { stepTimes, steps: result.steps, calls };
  }

  private model(modelId: string): DitRunner {
    const runner = this.models.get(modelId);
    if (!runner) throw new Error(`no model "${modelId}" is loaded`);
    return runner;
  }

  /** Loads SD-VAE decoder weights (diffusers, legacy diffusers or original LDM names) and returns a model id. */
  async loadVae(weightsUrl: string, config: unknown): Promise<string> {
    const ctx = await this.context();
    const runner = await loadVae(ctx, await urlSource(weightsUrl), config);
    const id = `vae-${this.vaes.size}`;
    this.vaes.set(id, runner);
    return id;
  }

  private vae(id: string): VaeRunner {
    const runner = this.vaes.get(id);
    if (!runner) throw new Error(`no VAE "${id}" is loaded`);
    return runner;
  }

  /** decode(z) = decoder(post_quant_conv(z)); z is the latent already divided by the scaling factor. */
  async vaeDecode(id: string, z: HostTensorF32, opts: VaeDecodeOptions = {}): Promise<Record<string, HostTensorF32>> {
    return this.vae(id).decode(z, opts);
  }

  /**
   * Times VAE decodes in the worker, each from the latent on the CPU to `sample` read back to the
   * CPU; the decode is recorded first, untimed. When the first decode (a warm-up) takes over
   * `onceOverMs`, it is the only one and is returned as the time (`once`). Also counts the GPU
   * calls of one decode (the average over every decode run), the peak bytes the decode allocates
   * above its weights (activations, uniforms, scratch; the runner's previous recording freed
   * first), and returns the last sample.
   */
  async benchVaeDecode(id: string, z: HostTensorF32, timing: TimingOptions & { onceOverMs?: number }, opts: VaeDecodeOptions = {}): Promise<{
    times: number[]; once: boolean; sample: HostTensorF32; calls: GpuCallCounts; decodeBytes: number; workPerSubmit: number;
  }> {
    const runner = this.vae(id);
    const { alloc } = await this.context();
    runner.release();
    const base = alloc.liveBytes;
    alloc.peakBytes = base;
    await runner.prepare(z, opts);
    let sample: HostTensorF32 | null = null;
    let decodes = 0;
    const decode = async () => {
      const t0 = performance.now();
      sample = (await runner.decode(z, opts)).sample;
      decodes++;
      return performance.now() - t0;
    };
    const { result, counts } = await countGpuCalls(async () => {
      const first = await decode();
      if (timing.warmup === 0) return { times: [first, ...(await timeRuns({ warmup: 0, runs: timing.runs - 1 }, decode))], once: false };
      if (timing.onceOverMs !== undefined && first > timing.onceOverMs) return { times: [first], once: true };
      return { times: await timeRuns({ warmup: timing.warmup - 1, runs: timing.runs }, decode), once: false };
    });
    const calls = { dispatches: counts.dispatches / decodes, submits: counts.submits / decodes, commandBuffers: counts.commandBuffers / decodes };
    return { ...result, sample: sample!, calls, decodeBytes: alloc.peakBytes - base, workPerSubmit: opts.workPerSubmit ?? VAE_WORK_PER_SUBMIT };
  }

  /** decode(z) as one RGBA8 image per sample. */
  async vaeDecodeImages(id: string, z: HostTensorF32, opts: VaeDecodeOptions = {}): Promise<DecodedImage[]> {
    return this.vae(id).decodeToImages(z, opts);
  }

  async runKernel(run: KernelRun): Promise<KernelResult> {
    return runKernel(await this.context(), run);
  }
}
