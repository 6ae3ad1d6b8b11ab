/**
 * Compute pipelines, compiled once per (shader, specialisation) and cached.
 *
 * Two ways to specialise a WGSL file: `constants` set its `override` declarations (no new
 * shader text), and `defines` rewrite `const NAME ... = value;` lines, for values WGSL needs as
 * true constants (the length of a function-scope array, such as an attention head's accumulator).
 */
import type { Gpu } from './device.ts';
import { KernelChoices } from './kernel-choices.ts';
import type { ParamsLayout } from './params.ts';

export interface KernelSpec<L extends ParamsLayout = ParamsLayout> {
  /** Shader file name (in shaders/), for labels and error messages. */
  name: string;
  source: string;
  /** The layout of the shader's uniform `struct Params` (params.ts). */
  params: L;
  entryPoint?: string;
  defines?: Record<string, number>;
  constants?: Record<string, number>;
}

/**
 * A kernel as its wrapper declares it, the Params layout's field names and types kept literal:
 * `kernelSpec({ name: 'add.wgsl', source, params: { count: 'u32', rowWidth: 'u32' } })`.
 */
export const kernelSpec = <const L extends ParamsLayout>(spec: KernelSpec<L>): KernelSpec<L> => spec;

export function applyDefines(source: string, defines: Record<string, number>): string {
  let out = source;
  for (const [name, value] of Object.entries(defines)) {
    const re = new RegExp(`const\\s+${name}\\s*:\\s*(u32|i32|f32)\\s*=\\s*[^;]+;`);
    const m = re.exec(out);
    if (!m) throw new Error(`shader has no "const ${name}" to specialise`);
    const literal = m[1] === 'u32' ? `${value >>> 0}u` : m[1] === 'i32' ? `${value | 0}i` : `${value}f`;
    out = out.replace(re, `const ${name}: ${m[1]} = ${literal};`);
  }
  return out;
}

/** A pipeline's identity in the cache: shader, entry point and specialisation. */
export function pipelineKey(spec: KernelSpec): string {
  return `${spec.name}|${spec.entryPoint ?? 'main'}|${JSON.stringify(spec.defines ?? {})}|${JSON.stringify(spec.constants ?? {})}`;
}

/** Progress of {@link PipelineCache.prepare}: pipelines compiled so far of those it had to compile. */
export interface CompileProgress {
  done: number;
  total: number;
}

export class PipelineCache {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  /** Pipelines being compiled by prepare(), by key. */
  private readonly compiling = new Map<string, Promise<void>>();
  /**
   * Pipelines created synchronously on first use, by key. On Chromium these compile one after
   * another on the GPU process's thread while the first submission waits; prepare() avoids that.
   */
  readonly compiledOnUse = new Set<string>();

  constructor(
    private readonly gpu: Gpu,
    /** This device's per-shape kernel choices (kernel-choices.ts), set by the autotune. */
    readonly choices = new KernelChoices(),
  ) {}

  /** The choices' tables, as the wrappers (ops.ts), the autotune and the engine read them. */
  get matmulTiles(): KernelChoices['matmulTiles'] {
    return this.choices.matmulTiles;
  }

  get attentionTiles(): KernelChoices['attentionTiles'] {
    return this.choices.attentionTiles;
  }

  has(spec: KernelSpec): boolean {
    return this.pipelines.has(pipelineKey(spec));
  }

  /** Resolves when no pipeline is being compiled by prepare() (at once when none is). */
  async settled(): Promise<void> {
    while (this.compiling.size) await Promise.all(this.compiling.values());
  }

  /** Pipelines compiled so far. */
  get size(): number {
    return this.pipelines.size;
  }

  get(spec: KernelSpec): GPUComputePipeline {
    const key = pipelineKey(spec);
    let pipeline = this.pipelines.get(key);
    if (pipeline) return pipeline;
    pipeline = this.gpu.device.createComputePipeline(this.descriptor(spec));
    this.pipelines.set(key, pipeline);
    this.compiledOnUse.add(key);
    return pipeline;
  }

  /**
   * Compiles the pipelines of `specs` not compiled yet, all at once with createComputePipelineAsync
   * (the browser compiles them in parallel, off its GPU thread), and resolves when every one is
   * ready, including those an earlier call is still compiling. A pipeline that fails to compile is
   * left to get(), whose synchronous creation reports the error where the kernel is used.
   */
  async prepare(specs: readonly KernelSpec[], onProgress?: (p: CompileProgress) => void): Promise<CompileProgress> {
    const todo = new Map<string, KernelSpec>();
    for (const spec of specs) {
      const key = pipelineKey(spec);
      if (!this.pipelines.has(key) && !this.compiling.has(key)) todo.set(key, spec);
    }
    const pending = new Set([...specs.map(pipelineKey)].filter((k) => this.compiling.has(k)).map((k) => this.compiling.get(k)!));
    const progress = { done: 0, total: todo.size };
    if (progress.total) onProgress?.({ ...progress });
    const started = [...todo].map(([key, spec]) => {
      const compiled = this.gpu.device.createComputePipelineAsync(this.descriptor(spec)).then(
        (pipeline) => { if (!this.pipelines.has(key)) this.pipelines.set(key, pipeline); },
        () => undefined,
      ).finally(() => {
        this.compiling.delete(key);
        progress.done++;
        onProgress?.({ ...progress });
      });
      this.compiling.set(key, compiled);
      return compiled;
    });
    await Promise.all([...started, ...pending]);
    return progress;
  }

  private descriptor(spec: KernelSpec): GPUComputePipelineDescriptor {
    const moduleKey = `${spec.name}|${JSON.stringify(spec.defines ?? {})}`;
    let module = this.modules.get(moduleKey);
    if (!module) {
      const code = spec.defines ? applyDefines(spec.source, spec.defines) : spec.source;
      module = this.gpu.device.createShaderModule({ code, label: spec.name });
      this.modules.set(moduleKey, module);
    }
    return { layout: 'auto', label: spec.name, compute: { module, entryPoint: spec.entryPoint ?? 'main', constants: spec.constants } };
  }
}
