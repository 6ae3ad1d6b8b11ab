/**
 * Kernel-level entries: matmul at DiT-S/2 and DiT-XL/2 shapes, attention, LayerNorm+modulation,
 * one DiT block; each through the engine's kernel lab, and the peer on the same op (ONNX from the
 * project's model code, same inputs and weights).
 *
 * Two times for ours: `ours_ms` from the CPU to the CPU (activations written, one submission, the
 * output read back), the peer's semantics and the ratios' basis; `ours_gpu_ms` the recorded
 * dispatches alone, replayed on data already on the GPU (submit to done), the basis of `gflops`.
 */
import type { KernelResult, KernelRun } from '../support/lab/lab.ts';
import { randn } from '../support/random.ts';
import { type BenchContext, type Entry, wanted } from './context.ts';
import { comparePeer, type PeerFeedData, writeWeights } from './peer/compare.ts';
import type { OnnxJob } from './peer/peer.ts';
import { kernelEntry, LAYERNORM_S2, layerNormFlops, layerNormMeasures } from '../../src/engine/bench/entries.ts';
import { summarize } from '../../src/engine/bench/stats.ts';

interface KernelCase {
  name: string;
  measures: string;
  flops: number;
  run: KernelRun;
  /** The lab output that the peer's output is compared with. */
  output: string;
  peer: { job: OnnxJob; feeds: Record<string, PeerFeedData>; output: string };
}

let seed = 100;
const rnd = (n: number, scale = 1) => randn(seed++, n, scale);
const f32 = (shape: number[], data: Float32Array): PeerFeedData => ({ type: 'float32', shape, data });

function matmulCase(name: string, M: number, K: number, N: number, what: string): KernelCase {
  const x = rnd(M * K);
  const w = rnd(N * K, 1 / Math.sqrt(K));
  const b = rnd(N, 0.1);
  return {
    name, flops: 2 * M * K * N, output: 'y',
    measures: `y[${M},${N}] = x[${M},${K}] · Wᵀ + b (${what})`,
    run: { kernel: 'matmul', inputs: { x: { shape: [M, K], data: x }, w: { shape: [N, K], data: w }, b: { shape: [N], data: b } }, outputs: { y: [M, N] }, params: { M, N, K, autotune: 1 } },
    peer: {
      job: { name, kind: 'linear', spec: { M, K, N }, weights: writeWeights(name, { weight: { dtype: 'F32', shape: [N, K], data: w }, bias: { dtype: 'F32', shape: [N], data: b } }) },
      feeds: { x: f32([M, K], x) }, output: 'y',
    },
  };
}

function attentionCase(name: string, B: number, T: number, H: number, hd: number): KernelCase {
  const D = H * hd;
  const qkv = rnd(B * T * 3 * D);
  return {
    name, flops: 4 * B * H * T * T * hd, output: 'o',
    measures: `softmax(q kᵀ/√d) v, batch ${B}, ${T} tokens, ${H} heads of ${hd} (DiT-S/2), from the fused qkv [${B}·${T}, ${3 * D}]`,
    run: { kernel: 'attention', inputs: { qkv: { shape: [B * T, 3 * D], data: qkv } }, outputs: { o: [B * T, D] }, params: { B, T, H, headDim: hd, autotune: 1 } },
    peer: { job: { name, kind: 'attention', spec: { B, T, heads: H, head_dim: hd } }, feeds: { qkv: f32([B, T, 3 * D], qkv) }, output: 'o' },
  };
}

function lnCase(name: string, N: number, T: number, D: number): KernelCase {
  const x = rnd(N * T * D);
  const mod = rnd(N * 2 * D, 0.5);
  return {
    name, flops: layerNormFlops(N, T, D), output: 'y',
    measures: layerNormMeasures(N, T, D),
    run: {
      kernel: 'layerNormModulate', inputs: { x: { shape: [N * T, D], data: x }, modulation: { shape: [N, 2 * D], data: mod } }, outputs: { y: [N * T, D] },
      params: { rows: N * T, D, T, stride: 2 * D, shiftOffset: 0, scaleOffset: D },
    },
    peer: { job: { name, kind: 'ln_modulate', spec: { N, T, D } }, feeds: { x: f32([N, T, D], x), modulation: f32([N, 2 * D], mod) }, output: 'y' },
  };
}

function blockCase(name: string, N: number, T: number, D: number, heads: number): KernelCase {
  const x = rnd(N * T * D);
  const mod6 = rnd(N * 6 * D, 0.3);
  // The engine's depth-1 layout: the block's six vectors, then the final layer's two (unused).
  const mod8 = new Float32Array(N * 8 * D);
  for (let n = 0; n < N; n++) mod8.set(mod6.subarray(n * 6 * D, (n + 1) * 6 * D), n * 8 * D);
  const weights: Record<string, { shape: number[]; data: Float32Array }> = {};
  const lin = (key: string, o: number, i: number) => {
    weights[`${key}.weight`] = { shape: [o, i], data: rnd(o * i, 1 / Math.sqrt(i)) };
    weights[`${key}.bias`] = { shape: [o], data: rnd(o, 0.1) };
  };
  lin('attn.qkv', 3 * D, D);
  lin('attn.proj', D, D);
  lin('mlp.fc1', 4 * D, D);
  lin('mlp.fc2', D, 4 * D);
  const flops = 2 * N * T * (D * 3 * D + D * D + 8 * D * D) + 4 * N * T * T * D;
  return {
    name, flops, output: 'x',
    measures: `one DiT block (LN+mod, qkv, attention, proj+gate, LN+mod, fc1+GELU, fc2+gate) on [${N}, ${T}, ${D}], ${heads} heads, modulation given`,
    run: { kernel: 'ditBlock', inputs: { x: { shape: [N * T, D], data: x }, modulation: { shape: [N, 8 * D], data: mod8 }, ...weights }, outputs: { x: [N * T, D] }, params: { N, T, D, heads, autotune: 1 } },
    peer: {
      job: { name, kind: 'dit_block', spec: { N, T, D, heads }, weights: writeWeights(name, Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, { dtype: 'F32' as const, ...v }]))) },
      feeds: { x: f32([N, T, D], x), modulation: f32([N, 6 * D], mod6) }, output: 'y',
    },
  };
}

function cases(ctx: BenchContext): (() => KernelCase)[] {
  const all: [string, () => KernelCase, boolean][] = [
    ['matmul-s2-512x384x1536', () => matmulCase('matmul-s2-512x384x1536', 512, 384, 1536, 'DiT-S/2 fc1, batch 2 × 256 tokens'), false],
    ['matmul-xl2-512x1152x4608', () => matmulCase('matmul-xl2-512x1152x4608', 512, 1152, 4608, 'DiT-XL/2 fc1, batch 2 × 256 tokens'), false],
    ['attention-s2-256tok-b2', () => attentionCase('attention-s2-256tok-b2', 2, 256, 6, 64), false],
    ['attention-s2-1024tok-b2', () => attentionCase('attention-s2-1024tok-b2', 2, 1024, 6, 64), false],
    [LAYERNORM_S2.name, () => lnCase(LAYERNORM_S2.name, LAYERNORM_S2.N, LAYERNORM_S2.T, LAYERNORM_S2.D), true],
    ['dit-block-s2-b2', () => blockCase('dit-block-s2-b2', 2, 256, 384, 6), false],
  ];
  return all.filter(([name, , quick]) => wanted(ctx, name) && (quick || !ctx.opts.quick)).map(([, make]) => make);
}

export async function kernelEntries(ctx: BenchContext): Promise<Entry[]> {
  const out: Entry[] = [];
  for (const make of cases(ctx)) {
    const k = make();
    ctx.log(k.name);
    const activations = Object.keys(k.peer.feeds).filter((n) => n in k.run.inputs);
    const r = await ctx.host.api.lab.runKernel({
      ...k.run, repeats: ctx.opts.warmup + ctx.opts.runs, ioTiming: { inputs: activations, warmup: ctx.opts.warmup, runs: ctx.opts.runs },
    });
    const entry = kernelEntry(k.name, k.measures, k.flops, { replayTimes: r.timesMs!, passTimes: r.passTimesMs!, ioTimes: r.ioTimesMs! }, ctx.opts.warmup);
    ctx.log(`  ours: ${entry.ours_ms} ms CPU→CPU, ${entry.ours_gpu_ms} ms on the GPU (${entry.gflops} GFLOP/s; timestamps ${entry.gpu_gflops} GFLOP/s)`);
    Object.assign(entry, await comparePeer(ctx, k.name, k.peer.job, k.peer.feeds, k.peer.output, { out: r.outputs[k.output].data, ms: summarize(r.ioTimesMs!).medianMs }));
    out.push(entry);
  }
  return out;
}
