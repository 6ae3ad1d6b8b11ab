/**
 * Runs single kernels on host-provided tensors, for the kernel tests and the benchmarks. Output
 * tensors are poisoned with NaN first, so an element a kernel forgets to write cannot pass.
 */
import { allocateBanded, type BandedTensor, poisonBanded, readBanded, type Shape4, writeBanded } from '../gpu/banded.ts';
import { checked } from '../gpu/device.ts';
import * as ops from '../gpu/ops.ts';
import { Program } from '../gpu/program.ts';
import { Allocator, poison, readTensor, type Tensor } from '../gpu/tensor.ts';
import type { GpuSamplerKind } from '../sampling/step-coefficients.ts';
import type { GpuContext } from './gpu-context.ts';
import type { HostTensorF32 } from './tensors.ts';
import { VAE_RECORDERS } from './vae-lab.ts';

export interface KernelRun {
  kernel: string;
  inputs: Record<string, HostTensorF32 | { shape: number[]; data: Int32Array }>;
  /** Output tensors to create (poisoned), by name and shape; an output listed in inputs too starts from that data. */
  outputs: Record<string, number[]>;
  params: Record<string, number | string>;
  /** Timing: replay the recorded dispatch this many extra times and report the median. */
  repeats?: number;
}

export interface KernelResult {
  outputs: Record<string, HostTensorF32>;
  medianMs?: number;
}

export interface RecordContext {
  alloc: Allocator;
  host: KernelRun['inputs'];
  /** Host input `name` ([B, C, H, W]) uploaded as row bands of these heights. */
  bandedInput(name: string, bandRows: number[]): BandedTensor;
  /** A poisoned banded tensor, read back whole as output `name`. */
  bandedOutput(name: string, shape: Shape4, bandRows: number[]): BandedTensor;
}

export type Recorder = (prog: Program, t: Record<string, Tensor>, p: Record<string, number | string>, ctx: RecordContext) => void;

const num = (p: Record<string, number | string>, k: string): number => {
  const v = p[k];
  if (typeof v !== 'number') throw new Error(`kernel param "${k}" missing`);
  return v;
};

const RECORDERS: Record<string, Recorder> = {
  matmul: (prog, t, p, ctx) => {
    // The weight arrives in PyTorch's [out, in] layout and is packed as the model packs it.
    const lw = ops.uploadLinear(ctx.alloc, ctx.host.w.data as Float32Array, ctx.host.b.data as Float32Array, num(p, 'N'), num(p, 'K'), 'w', p.f16 === 1);
    ops.linear(prog, t.x, lw, t.y, num(p, 'M'), {
      epilogue: (p.epilogue as ops.EpilogueName) ?? 'none', aux: t.aux,
      yStride: p.yStride as number | undefined, yOffset: p.yOffset as number | undefined,
      auxStride: p.auxStride as number | undefined, auxOffset: p.auxOffset as number | undefined,
      auxRowDiv: p.auxRowDiv as number | undefined, auxRowMod: p.auxRowMod as number | undefined,
    });
  },
  attention: (prog, t, p) => ops.attention(prog, t.qkv, t.o, { batch: num(p, 'B'), tokens: num(p, 'T'), heads: num(p, 'H'), headDim: num(p, 'headDim') }),
  layerNormModulate: (prog, t, p) => ops.layerNormModulate(prog, t.x, t.y, num(p, 'rows'), num(p, 'D'), num(p, 'T'), {
    modulation: t.modulation, stride: num(p, 'stride'), shiftOffset: num(p, 'shiftOffset'), scaleOffset: num(p, 'scaleOffset'),
  }),
  add: (prog, t) => ops.add(prog, t.a, t.b, t.out),
  silu: (prog, t) => ops.silu(prog, t.x, t.out),
  timestepEmbedding: (prog, t, p, ctx) => {
    const freqs = ctx.alloc.upload(ops.timestepFrequencies(num(p, 'dim')), [num(p, 'dim') / 2], 'freqs');
    ops.timestepEmbedding(prog, t.t, freqs, t.out, num(p, 'N'));
  },
  embedding: (prog, t, p) => ops.embedding(prog, t.ids, t.table, t.out, num(p, 'N'), num(p, 'D')),
  patchEmbed: (prog, t, p) => ops.patchEmbed(prog, t.x, t.weight, t.bias, t.pos, t.tokens, {
    batch: num(p, 'N'), channels: num(p, 'C'), height: num(p, 'H'), width: num(p, 'W'), patch: num(p, 'P'), hidden: num(p, 'D'),
  }),
  unpatchify: (prog, t, p) => ops.unpatchify(prog, t.tokens, t.out, num(p, 'N'), num(p, 'C'), num(p, 'H'), num(p, 'W'), num(p, 'P')),
  samplerStep: (prog, t, p) => ops.samplerStep(prog, p.sampler as GpuSamplerKind, t.coef, t.model, t.noise, t.x, t.x0, num(p, 'rows'), num(p, 'C'), num(p, 'HW'), num(p, 'modelC')),
  cfgCombine: (prog, t, p) => ops.cfgCombine(prog, t.modelOut, t.out, num(p, 'B'), num(p, 'C'), num(p, 'HW'), num(p, 'guided'), num(p, 'scale')),
  ...VAE_RECORDERS,
};

export async function runKernel(ctx: GpuContext, run: KernelRun): Promise<KernelResult> {
  const record = RECORDERS[run.kernel];
  if (!record) throw new Error(`unknown kernel "${run.kernel}"`);
  const { gpu, pipelines } = ctx;
  const alloc = new Allocator(gpu); // freed whole at the end, apart from any model's weights
  const tensors: Record<string, Tensor> = {};
  const banded = new Map<string, BandedTensor>();
  const recording: RecordContext = {
    alloc,
    host: run.inputs,
    bandedInput: (name, bandRows) => {
      const h = run.inputs[name];
      if (!h || h.shape.length !== 4) throw new Error(`banded input "${name}" must be a 4-D tensor`);
      const t = allocateBanded(alloc, h.shape as Shape4, bandRows, name);
      writeBanded(gpu, t, h.data as Float32Array);
      return t;
    },
    bandedOutput: (name, shape, bandRows) => {
      const t = allocateBanded(alloc, shape, bandRows, name);
      poisonBanded(gpu, t);
      banded.set(name, t);
      return t;
    },
  };
  try {
    for (const [name, h] of Object.entries(run.inputs)) {
      tensors[name] = alloc.upload(h.data, h.shape, name);
    }
    for (const [name, shape] of Object.entries(run.outputs)) {
      if (tensors[name]) continue;
      tensors[name] = alloc.tensor(shape, name);
      poison(gpu, tensors[name]);
    }
    const prog = new Program(gpu, pipelines, alloc);
    await checked(gpu, run.kernel, () => { record(prog, tensors, run.params, recording); prog.finish(); prog.submit(); });
    const outputs: Record<string, HostTensorF32> = {};
    for (const [name, shape] of Object.entries(run.outputs)) {
      const b = banded.get(name);
      outputs[name] = { shape, data: b ? await readBanded(gpu, b) : await readTensor(gpu, tensors[name]) };
    }
    let medianMs: number | undefined;
    if (run.repeats) {
      const times: number[] = [];
      for (let i = 0; i < run.repeats; i++) {
        const t0 = performance.now();
        prog.submit();
        await gpu.device.queue.onSubmittedWorkDone();
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      medianMs = times[Math.floor(times.length / 2)];
    }
    prog.destroy();
    return { outputs, medianMs };
  } finally {
    alloc.freeAll();
  }
}
