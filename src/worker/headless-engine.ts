/**
 * Engine entry points for the command line, the tests and the benchmarks: load a model from a
 * URL, run a forward on given tensors, run single kernels.
 */
import { type DitConfig, parseDitConfig } from '../model/config.ts';
import { uploadDitWeights } from '../model/dit.ts';
import { parseVaeConfig } from '../model/vae-config.ts';
import { uploadVaeWeights } from '../model/vae-weights.ts';
import { safetensorsSource } from '../model/safetensors-source.ts';
import { SafetensorsFile } from '../weights/safetensors.ts';
import type { AdapterSummary } from './api.ts';
import { DitRunner, type ForwardOptions } from './dit-runner.ts';
import { adapterSummary, createGpuContext, type GpuContext } from './gpu-context.ts';
import { type KernelResult, type KernelRun, runKernel } from './lab.ts';
import type { HostTensorF32 } from './tensors.ts';
import { type DecodedImage, type VaeDecodeOptions, VaeRunner } from './vae-runner.ts';

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not read ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
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

  /** Loads DiT weights (safetensors, official or diffusers layout) and returns a model id. */
  async loadDit(weightsUrl: string, config: DitConfig): Promise<string> {
    const ctx = await this.context();
    const c = parseDitConfig(config);
    const file = SafetensorsFile.fromBytes(await fetchBytes(weightsUrl));
    const weights = uploadDitWeights(ctx.alloc, safetensorsSource(file), c);
    const id = `dit-${this.models.size}`;
    this.models.set(id, new DitRunner(ctx.gpu, ctx.alloc, ctx.pipelines, weights));
    return id;
  }

  async ditForward(modelId: string, x: HostTensorF32, t: Float32Array, y: Int32Array, opts: ForwardOptions): Promise<Record<string, HostTensorF32>> {
    const runner = this.models.get(modelId);
    if (!runner) throw new Error(`no model "${modelId}" is loaded`);
    return runner.forward({ x, t, y }, opts);
  }

  /** Loads SD-VAE decoder weights (diffusers, legacy diffusers or original LDM names) and returns a model id. */
  async loadVae(weightsUrl: string, config: unknown): Promise<string> {
    const ctx = await this.context();
    const c = parseVaeConfig(config);
    const file = SafetensorsFile.fromBytes(await fetchBytes(weightsUrl));
    const weights = uploadVaeWeights(ctx.alloc, safetensorsSource(file), c);
    const id = `vae-${this.vaes.size}`;
    this.vaes.set(id, new VaeRunner(ctx.gpu, ctx.alloc, ctx.pipelines, weights));
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

  /** decode(z) as one RGBA8 image per sample. */
  async vaeDecodeImages(id: string, z: HostTensorF32, opts: VaeDecodeOptions = {}): Promise<DecodedImage[]> {
    return this.vae(id).decodeToImages(z, opts);
  }

  async runKernel(run: KernelRun): Promise<KernelResult> {
    return runKernel(await this.context(), run);
  }
}
