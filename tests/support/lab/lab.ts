/**
 * Runs single kernels on host-provided tensors, for the kernel tests and the benchmarks. Output
 * tensors are poisoned with NaN first, so an element a kernel forgets to write cannot pass.
 */
import { allocateBanded, type BandedTensor, poisonBanded, readBanded, type Shape4, writeBanded } from '../gpu/banded.ts';
import { checked } from '../gpu/device.ts';
import * as ops from '../gpu/ops.ts';
import { MATMUL_TILES, type MatmulTile, tileName } from '../gpu/matmul-tiles.ts';
import { Program } from '../gpu/program.ts';
import { Allocator, poison, readTensor, type Tensor, writeTensor } from '../gpu/tensor.ts';
import type { DitConfig } from '../model/config.ts';
import { allocateActivations, type DitWeights, recordDitBlock } from '../model/dit.ts';
import type { GpuSamplerKind } from '../sampling/step-coefficients.ts';
import type { GpuContext } from './gpu-context.ts';
import { type KernelShapes, tuneKernels } from './kernel-tuning.ts';
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
  /**
   * Timing from the CPU to the CPU (benchmarks): per run, write these inputs again, replay, read
   * every output back; `warmup` untimed runs first.
   */
  ioTiming?: { inputs: string[]; warmup: number; runs: number };
}

export interface KernelResult {
  outputs: Record<string, HostTensorF32>;
  medianMs?: number;
  /** Every replay's time (submit to GPU done), with `repeats`. */
  timesMs?: number[];
  /** Every timed run's time with `ioTiming`. */
  ioTimesMs?: number[];
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

function tileByName(name: string): MatmulTile {
  const t = MATMUL_TILES.find((c) => tileName(c) === name);
  if (!t) throw new Error(`unknown matmul tile "${name}" (${MATMUL_TILES.map(tileName).join(', ')})`);
  return t;
}

const RECORDERS: Record<string, Recorder> = {
  matmul: (prog, t, p, ctx) => {
    // The weight arrives in PyTorch's [out, in] layout and is packed as the model packs it.
    const lw = ops.uploadLinear(ctx.alloc, ctx.host.w.data as Float32Array, ctx.host.b.data as Float32Array, num(p, 'N'), num(p, 'K'), 'w', p.f16 === 1);
    ops.linear(prog, t.x, lw, t.y, num(p, 'M'), {
      epilogue: (p.epilogue as ops.EpilogueName) ?? 'none', aux: t.aux,
      yStride: p.yStride as number | undefined, yOffset: p.yOffset as number | undefined,
      auxStride: p.auxStride as number | undefined, auxOffset: p.auxOffset as number | undefined,
      auxRowDiv: p.auxRowDiv as number | undefined, auxRowMod: p.auxRowMod as number | undefined,
      tile: typeof p.tile === 'string' ? tileByName(p.tile) : undefined,
    });
  },
  attention: (prog, t, p) => ops.attention(prog, t.qkv, t.o, { batch: num(p, 'B'), tokens: num(p, 'T'), heads: num(p, 'H'), headDim: num(p, 'headDim') }, typeof p.queries === 'number' ? p.queries : undefined),
  layerNormModulate: (prog, t, p) => ops.layerNormModulate(prog, t.x, t.y, num(p, 'rows'), num(p, 'D'), num(p, 'T'), {
    modulation: t.modulation, stride: num(p, 'stride'), shiftOffset: num(p, 'shiftOffset'), scaleOffset: num(p, 'scaleOffset'),
  }, 1e-6, p.subgroups === undefined ? undefined : p.subgroups === 1),
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
  /**
   * One DiT block, in place on x [N*T, D], given its modulation: [N, 8D] as a depth-1 model lays
   * it out (the block's six vectors, then the final layer's two). Weights by their names in a
   * block's state_dict (attn.qkv.weight, ..., mlp.fc2.bias), PyTorch layout.
   */
  ditBlock: (prog, t, p, ctx) => {
    const [N, T, D, heads] = [num(p, 'N'), num(p, 'T'), num(p, 'D'), num(p, 'heads')];
    const side = Math.sqrt(T);
    if (!Number.isInteger(side)) throw new Error(`ditBlock: T = ${T} is not a square token grid`);
    const c: DitConfig = { input_size: 2 * side, patch_size: 2, in_channels: 4, hidden_size: D, depth: 1, num_heads: heads, num_classes: 1, learn_sigma: true };
    const lin = (name: string, outF: number, inF: number) =>
      ops.uploadLinear(ctx.alloc, ctx.host[`${name}.weight`].data as Float32Array, ctx.host[`${name}.bias`].data as Float32Array, outF, inF, name);
    const w = { config: c, blocks: [{ qkv: lin('attn.qkv', 3 * D, D), proj: lin('attn.proj', D, D), fc1: lin('mlp.fc1', 4 * D, D), fc2: lin('mlp.fc2', D, 4 * D) }] } as unknown as DitWeights;
    recordDitBlock(prog, w, { ...allocateActivations(ctx.alloc, c, N), tokens: t.x, modulation: t.modulation }, 0);
  },
};

/** The shapes a lab run records, for the autotune. */
function labKernelShapes(run: KernelRun): KernelShapes {
  const p = run.params;
  if (run.kernel === 'matmul') return { matmul: [{ M: num(p, 'M'), K: num(p, 'K'), N: num(p, 'N'), f16: p.f16 === 1 }], attention: [] };
  if (run.kernel === 'attention') return { matmul: [], attention: [{ batch: num(p, 'B'), tokens: num(p, 'T'), heads: num(p, 'H'), headDim: num(p, 'headDim') }] };
  if (run.kernel === 'ditBlock') {
    const [M, D, heads] = [num(p, 'N') * num(p, 'T'), num(p, 'D'), num(p, 'heads')];
    return {
      matmul: [[D, 3 * D], [D, D], [D, 4 * D], [4 * D, D]].map(([K, N]) => ({ M, K, N, f16: false })),
      attention: [{ batch: num(p, 'N'), tokens: num(p, 'T'), heads, headDim: D / heads }],
    };
  }
  return { matmul: [], attention: [] };
}

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
    // Benchmarks time what a model would run: the autotune's choice for these shapes.
    if (run.params.autotune) await tuneKernels(ctx, labKernelShapes(run));
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
    let timesMs: number[] | undefined;
    if (run.repeats) {
      const times: number[] = [];
      for (let i = 0; i < run.repeats; i++) {
        const t0 = performance.now();
        prog.submit();
        await gpu.device.queue.onSubmittedWorkDone();
        times.push(performance.now() - t0);
      }
      timesMs = [...times];
      times.sort((a, b) => a - b);
      medianMs = times[Math.floor(times.length / 2)];
    }
    let ioTimesMs: number[] | undefined;
    if (run.ioTiming) {
      const io = run.ioTiming;
      ioTimesMs = [];
      for (let i = 0; i < io.warmup + io.runs; i++) {
        const t0 = performance.now();
        for (const name of io.inputs) writeTensor(gpu, tensors[name], run.inputs[name].data);
        prog.submit();
        for (const name of Object.keys(run.outputs)) await readTensor(gpu, tensors[name]);
        if (i >= io.warmup) ioTimesMs.push(performance.now() - t0);
      }
    }
    prog.destroy();
    return { outputs, medianMs, timesMs, ioTimesMs };
  } finally {
    alloc.freeAll();
  }
}
