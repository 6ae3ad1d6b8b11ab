/**
 * Runs single kernels on host-provided tensors, for the kernel tests and the benchmarks. Each
 * kernel's inputs, outputs and params are typed (KernelRun is a union keyed by `kernel`). Output
 * tensors are poisoned with NaN first, so an element a kernel forgets to write cannot pass.
 */
import { allocateBanded, type BandedTensor, poisonBanded, readBanded, writeBanded } from '../../../src/gpu/banded.ts';
import { checked, type Gpu } from '../../../src/gpu/device.ts';
import type { HostTensorF32, HostTensorI32 } from '../../../src/gpu/host-tensor.ts';
import type { AttentionVariant } from '../../../src/gpu/attention-tiles.ts';
import { MATMUL_TILES, type MatmulTile, tileName } from '../../../src/gpu/matmul-tiles.ts';
import * as ops from '../../../src/gpu/ops.ts';
import { Program } from '../../../src/gpu/program.ts';
import { Allocator, poison, readTensor, type Tensor, writeTensor } from '../../../src/gpu/tensor.ts';
import type { DitConfig } from '../../../src/model/config.ts';
import { allocateActivations, type DitWeights, recordDitBlock } from '../../../src/model/dit.ts';
import { SAMPLER_STEP_MODE, type SamplerKind } from '../../../src/sampling/sampler-kind.ts';
import type { GpuContext } from '../../../src/engine/gpu-context.ts';
import { type KernelShapes, tuneKernels } from '../../../src/engine/kernel-tuning.ts';
import { ioTimes, replayTimes } from '../../../src/engine/bench/kernel-timing.ts';
import type { LabKernel, NoParams, RecordContext, Recorder, Recorders, Tensors } from './recorder.ts';
import { VAE_RECORDERS, type VaeLabKernels } from './vae-lab.ts';

type F32 = HostTensorF32;
type I32 = HostTensorI32;

type Autotune = {
  /** Tune the kernels for this run's shapes first (benchmarks time what a model would run). */
  autotune?: 0 | 1;
};

/** The DiT's kernels, and one whole block: each one's host inputs by name, output names and params (recorder.ts). */
type DitLabKernels = {
  /** y = epilogue(x · wᵀ + b); w [N, K] in PyTorch's layout, packed as the model packs it; y as an input is the output's initial data. */
  matmul: {
    inputs: { x: F32; w: F32; b: F32; aux?: F32; y?: F32 };
    outputs: 'y';
    params: Autotune & {
      M: number; N: number; K: number;
      f16?: 0 | 1;
      epilogue?: ops.EpilogueName;
      yStride?: number; yOffset?: number;
      auxStride?: number; auxOffset?: number; auxRowDiv?: number; auxRowMod?: number;
      /** A tile by name (matmul-tiles.ts tileName); default: the device's choice. */
      tile?: string;
    };
  };
  /** `variant`: the vec4 kernel's query rows per invocation, or 'flash' (default: the device's choice). */
  attention: { inputs: { qkv: F32 }; outputs: 'o'; params: Autotune & { B: number; T: number; H: number; headDim: number; variant?: AttentionVariant } };
  /** `subgroups`: 0 the workgroup reductions, 1 the subgroup ones (default: the device's). */
  layerNormModulate: {
    inputs: { x: F32; modulation: F32 };
    outputs: 'y';
    params: { rows: number; D: number; T: number; stride: number; shiftOffset: number; scaleOffset: number; subgroups?: 0 | 1 };
  };
  add: { inputs: { a: F32; b: F32 }; outputs: 'out'; params: NoParams };
  silu: { inputs: { x: F32 }; outputs: 'out'; params: NoParams };
  timestepEmbedding: { inputs: { t: F32 }; outputs: 'out'; params: { N: number; dim: number } };
  embedding: { inputs: { labels: I32; table: F32 }; outputs: 'out'; params: { N: number; D: number } };
  patchEmbed: { inputs: { x: F32; weight: F32; bias: F32; pos: F32 }; outputs: 'tokens'; params: { N: number; C: number; H: number; W: number; P: number; D: number } };
  unpatchify: { inputs: { tokens: F32 }; outputs: 'out'; params: { N: number; C: number; H: number; W: number; P: number } };
  samplerStep: {
    inputs: { coef: F32; model: F32; noise: F32; x: F32; x0: F32 };
    outputs: 'x' | 'x0';
    params: { sampler: SamplerKind; rows: number; C: number; HW: number; modelC: number };
  };
  /** `cfgScale`: one guidance scale per picture [B]. */
  cfgCombine: { inputs: { modelOut: F32; cfgScale: F32 }; outputs: 'out'; params: { B: number; C: number; HW: number; guided: number } };
  labelBlend: { inputs: { labels: I32; blendLabels: I32; weights: F32; table: F32 }; outputs: 'out'; params: { N: number; D: number } };
  /**
   * One DiT block, in place on x [N*T, D], given its modulation: [N, 8D] as a depth-1 model lays
   * it out (the block's six vectors, then the final layer's two). Weights by their names in a
   * block's state_dict (attn.qkv.weight, ..., mlp.fc2.bias), PyTorch layout.
   */
  ditBlock: {
    inputs: { x: F32; modulation: F32; readonly [weight: `${string}.${'weight' | 'bias'}`]: F32 };
    outputs: 'x';
    params: Autotune & { N: number; T: number; D: number; heads: number };
  };
};

/** Every kernel the lab runs. */
type Kernels = DitLabKernels & VaeLabKernels;
export type KernelName = keyof Kernels;

type RunOf<K extends KernelName> = {
  kernel: K;
  inputs: Kernels[K]['inputs'];
  /** Output tensors to create (poisoned), by name and shape; an output listed in inputs too starts from that data. */
  outputs: Record<Kernels[K]['outputs'], number[]>;
  params: Kernels[K]['params'];
  /** Timing: replay the recorded dispatch this many extra times and report the median. */
  repeats?: number;
  /**
   * Timing from the CPU to the CPU (benchmarks): per run, write these inputs again, replay, read
   * every output back; `warmup` untimed runs first.
   */
  ioTiming?: { inputs: string[]; warmup: number; runs: number };
};

/** A run of one lab kernel: `{ kernel: 'matmul', inputs, outputs, params }`, each typed for that kernel. */
export type KernelRun<K extends KernelName = KernelName> = { [P in K]: RunOf<P> }[K];

export interface KernelResult {
  outputs: Record<string, HostTensorF32>;
  medianMs?: number;
  /** Every replay's time (submit to GPU done), with `repeats`. */
  timesMs?: number[];
  /** The GPU's own time of every replay (timestamp queries; null without), with `repeats`. */
  passTimesMs?: (number | null)[];
  /** Every timed run's time with `ioTiming`. */
  ioTimesMs?: number[];
}

function tileByName(name: string): MatmulTile {
  const t = MATMUL_TILES.find((c) => tileName(c) === name);
  if (!t) throw new Error(`unknown matmul tile "${name}" (${MATMUL_TILES.map(tileName).join(', ')})`);
  return t;
}

const RECORDERS: Recorders<Kernels> = {
  matmul: (prog, t, p, ctx) => {
    // The weight arrives in PyTorch's [out, in] layout and is packed as the model packs it.
    const lw = ops.uploadLinear(ctx.alloc, ctx.host.w.data, ctx.host.b.data, p.N, p.K, 'w', p.f16 === 1);
    ops.linear(prog, t.x, lw, t.y, p.M, {
      epilogue: p.epilogue ?? 'none', aux: t.aux,
      yStride: p.yStride, yOffset: p.yOffset,
      auxStride: p.auxStride, auxOffset: p.auxOffset, auxRowDiv: p.auxRowDiv, auxRowMod: p.auxRowMod,
      tile: p.tile === undefined ? undefined : tileByName(p.tile),
    });
  },
  attention: (prog, t, p) => ops.attention(prog, t.qkv, t.o, { batch: p.B, tokens: p.T, heads: p.H, headDim: p.headDim }, p.variant),
  layerNormModulate: (prog, t, p) => ops.layerNormModulate(prog, t.x, t.y, p.rows, p.D, p.T, {
    modulation: t.modulation, stride: p.stride, shiftOffset: p.shiftOffset, scaleOffset: p.scaleOffset,
  }, 1e-6, p.subgroups === undefined ? undefined : p.subgroups === 1),
  add: (prog, t) => ops.add(prog, t.a, t.b, t.out),
  silu: (prog, t) => ops.silu(prog, t.x, t.out),
  timestepEmbedding: (prog, t, p, ctx) => {
    const freqs = ctx.alloc.upload(ops.timestepFrequencies(p.dim), [p.dim / 2], 'freqs');
    ops.timestepEmbedding(prog, t.t, freqs, t.out, p.N);
  },
  embedding: (prog, t, p) => ops.embedding(prog, t.labels, t.table, t.out, p.N, p.D),
  patchEmbed: (prog, t, p) => ops.patchEmbed(prog, t.x, t.weight, t.bias, t.pos, t.tokens, {
    batch: p.N, channels: p.C, height: p.H, width: p.W, patch: p.P, hidden: p.D,
  }),
  unpatchify: (prog, t, p) => ops.unpatchify(prog, t.tokens, t.out, p.N, p.C, p.H, p.W, p.P),
  samplerStep: (prog, t, p) => ops.samplerStep(prog, SAMPLER_STEP_MODE[p.sampler], t.coef, t.model, t.noise, t.x, t.x0, p.rows, p.C, p.HW, p.modelC),
  cfgCombine: (prog, t, p) => ops.cfgCombine(prog, t.modelOut, t.cfgScale, t.out, p.B, p.C, p.HW, p.guided),
  labelBlend: (prog, t, p) => ops.labelBlend(prog, t.labels, t.blendLabels, t.weights, t.table, t.out, p.N, p.D),
  ...VAE_RECORDERS,
  ditBlock: (prog, t, p, ctx) => {
    const { N, T, D, heads } = p;
    const side = Math.sqrt(T);
    if (!Number.isInteger(side)) throw new Error(`ditBlock: T = ${T} is not a square token grid`);
    const c: DitConfig = { input_size: 2 * side, patch_size: 2, in_channels: 4, hidden_size: D, depth: 1, num_heads: heads, num_classes: 1, learn_sigma: true };
    const host = (key: `${string}.${'weight' | 'bias'}`): F32 => {
      const h = ctx.host[key];
      if (!h) throw new Error(`ditBlock: input "${key}" missing`);
      return h;
    };
    const lin = (name: string, outF: number, inF: number) => ops.uploadLinear(ctx.alloc, host(`${name}.weight`).data, host(`${name}.bias`).data, outF, inF, name);
    // recordDitBlock reads only the config and the block's linear layers.
    const w = { config: c, blocks: [{ qkv: lin('attn.qkv', 3 * D, D), proj: lin('attn.proj', D, D), fc1: lin('mlp.fc1', 4 * D, D), fc2: lin('mlp.fc2', D, 4 * D) }] } as unknown as DitWeights;
    recordDitBlock(prog, w, { ...allocateActivations(ctx.alloc, c, N), tokens: t.x, modulation: t.modulation }, 0);
  },
};

/** The shapes to tune before the run, when it asks for the autotune (null: none). */
function autotuneShapes(run: KernelRun): KernelShapes | null {
  switch (run.kernel) {
    case 'matmul': {
      const p = run.params;
      return p.autotune ? { matmul: [{ M: p.M, K: p.K, N: p.N, f16: p.f16 === 1 }], attention: [] } : null;
    }
    case 'attention': {
      const p = run.params;
      return p.autotune ? { matmul: [], attention: [{ batch: p.B, tokens: p.T, heads: p.H, headDim: p.headDim }] } : null;
    }
    case 'ditBlock': {
      const { N, T, D, heads, autotune } = run.params;
      if (!autotune) return null;
      return {
        matmul: [[D, 3 * D], [D, D], [D, 4 * D], [4 * D, D]].map(([K, Nout]) => ({ M: N * T, K, N: Nout, f16: false })),
        attention: [{ batch: N, tokens: T, heads, headDim: D / heads }],
      };
    }
    default:
      return null;
  }
}

/**
 * Uploads the run's tensors (each input, then each output that is not also an input, created and
 * poisoned) and returns them with the recording of the kernel on them.
 */
function prepare<K extends KernelName>(gpu: Gpu, alloc: Allocator, run: KernelRun<K>, banded: Map<string, BandedTensor>) {
  const record: Recorder<Kernels[K]> = RECORDERS[run.kernel];
  if (!record) throw new Error(`unknown kernel "${run.kernel}"`);
  const inputs: LabKernel['inputs'] = run.inputs;
  const byName: Record<string, Tensor> = {};
  for (const [name, h] of Object.entries(inputs)) if (h) byName[name] = alloc.upload(h.data, h.shape, name);
  for (const [name, shape] of Object.entries<number[]>(run.outputs)) {
    if (byName[name]) continue;
    byName[name] = alloc.tensor(shape, name);
    poison(gpu, byName[name]);
  }
  // Every input and output the kernel names is there: the run's type says so.
  const tensors = byName as Tensors<Kernels[K]>;
  const context: RecordContext<Kernels[K]> = {
    alloc,
    host: run.inputs,
    bandedInput: (name, bandRows) => {
      const h = inputs[name];
      if (!h || h.shape.length !== 4 || !(h.data instanceof Float32Array)) throw new Error(`banded input "${name}" must be a 4-D f32 tensor`);
      const [B, C, H, W] = h.shape;
      const t = allocateBanded(alloc, [B, C, H, W], bandRows, name);
      writeBanded(gpu, t, h.data);
      return t;
    },
    bandedOutput: (name, shape, bandRows) => {
      const t = allocateBanded(alloc, shape, bandRows, name);
      poisonBanded(gpu, t);
      banded.set(name, t);
      return t;
    },
  };
  return { tensors: byName, record: (prog: Program) => record(prog, tensors, run.params, context) };
}

export async function runKernel(ctx: GpuContext, run: KernelRun): Promise<KernelResult> {
  const { gpu, pipelines } = ctx;
  const inputs: LabKernel['inputs'] = run.inputs;
  const outputs: Readonly<Record<string, number[]>> = run.outputs;
  const alloc = new Allocator(gpu); // freed whole at the end, apart from any model's weights
  const banded = new Map<string, BandedTensor>();
  try {
    // Benchmarks time what a model would run: the autotune's choice for these shapes.
    const tune = autotuneShapes(run);
    if (tune) await tuneKernels(ctx, tune);
    const { tensors: byName, record } = prepare(gpu, alloc, run, banded);
    const prog = new Program(gpu, pipelines, alloc);
    await checked(gpu, run.kernel, () => { record(prog); prog.finish(); prog.submit(); });
    const results: Record<string, HostTensorF32> = {};
    for (const [name, shape] of Object.entries(outputs)) {
      const b = banded.get(name);
      results[name] = { shape, data: b ? await readBanded(gpu, b) : await readTensor(gpu, byName[name]) };
    }
    let medianMs: number | undefined;
    let timesMs: number[] | undefined;
    let passTimesMs: (number | null)[] | undefined;
    if (run.repeats) {
      const replays = await replayTimes(gpu, prog, run.repeats);
      timesMs = replays.times;
      passTimesMs = replays.passTimes;
      medianMs = [...timesMs].sort((a, b) => a - b)[Math.floor(timesMs.length / 2)];
    }
    let ioTimesMs: number[] | undefined;
    if (run.ioTiming) {
      const io = run.ioTiming;
      const rewrite = io.inputs.map((name) => {
        const h = inputs[name];
        if (!h) throw new Error(`ioTiming: "${name}" is not an input of this run`);
        return { tensor: byName[name], data: h.data };
      });
      ioTimesMs = await ioTimes(gpu, prog, rewrite, Object.keys(outputs).map((name) => byName[name]), io.warmup, io.runs);
    }
    prog.destroy();
    return { outputs: results, medianMs, timesMs, passTimesMs, ioTimesMs };
  } finally {
    alloc.freeAll();
  }
}
