/**
 * Compute pipelines, compiled once per (shader, specialisation) and cached.
 *
 * Two ways to specialise a WGSL file: `constants` set its `override` declarations (no new
 * shader text), and `defines` rewrite `const NAME ... = value;` lines, for values WGSL needs as
 * true constants (the length of a function-scope array, such as an attention head's accumulator).
 */
import type { Gpu } from './device.ts';
import { AttentionTiles } from './attention-tiles.ts';
import { MatmulTiles } from './matmul-tiles.ts';

export interface KernelSpec {
  /** Shader file name, for labels and error messages. */
  name: string;
  source: string;
  entryPoint?: string;
  defines?: Record<string, number>;
  constants?: Record<string, number>;
}

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
  /** Per-shape kernel choices for this device (set by the autotune, gpu/kernel-autotune.ts). */
  readonly matmulTiles = new MatmulTiles();
  readonly attentionTiles = new AttentionTiles();

  constructor(private readonly gpu: Gpu) {}

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
