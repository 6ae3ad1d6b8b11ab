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

export class PipelineCache {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();

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

  get(spec: KernelSpec): GPUComputePipeline {
    const key = `${spec.name}|${spec.entryPoint ?? 'main'}|${JSON.stringify(spec.defines ?? {})}|${JSON.stringify(spec.constants ?? {})}`;
    let pipeline = this.pipelines.get(key);
    if (pipeline) return pipeline;
    const moduleKey = `${spec.name}|${JSON.stringify(spec.defines ?? {})}`;
    let module = this.modules.get(moduleKey);
    if (!module) {
      const code = spec.defines ? applyDefines(spec.source, spec.defines) : spec.source;
      module = this.gpu.device.createShaderModule({ code, label: spec.name });
      this.modules.set(moduleKey, module);
    }
    pipeline = this.gpu.device.createComputePipeline({
      layout: 'auto',
      label: spec.name,
      compute: { module, entryPoint: spec.entryPoint ?? 'main', constants: spec.constants },
    });
    this.pipelines.set(key, pipeline);
    return pipeline;
  }
}
