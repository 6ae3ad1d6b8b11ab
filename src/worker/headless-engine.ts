/**
 * Engine entry points for the command line, the tests and the benchmarks: load a model from a
 * URL, run a forward on given tensors, run single kernels.
 */
import { type DitConfig, parseDitConfig } from '../model/config.ts';
import { uploadDitWeights } from '../model/dit.ts';
import { safetensorsSource } from '../model/safetensors-source.ts';
import { SafetensorsFile } from '../weights/safetensors.ts';
import type { AdapterSummary } from './api.ts';
import { DitRunner, type ForwardOptions } from './dit-runner.ts';
import { adapterSummary, createGpuContext, type GpuContext } from './gpu-context.ts';
import { type KernelResult, type KernelRun, runKernel } from './lab.ts';
import type { HostTensorF32 } from './tensors.ts';

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not read ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

export class HeadlessEngine {
  private ctx: GpuContext | null = null;
  private readonly models = new Map<string, DitRunner>();

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

  async runKernel(run: KernelRun): Promise<KernelResult> {
    return runKernel(await this.context(), run);
  }
}
