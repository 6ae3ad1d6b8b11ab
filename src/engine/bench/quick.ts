/**
 * The quick benchmark (the entries of `npm run bench -- --quick`) run whole in the engine's worker,
 * for the app's benchmark page on the visitor's own adapter: the tiny DiT's forward at batch 2 and
 * its guided sampling step, and DiT-S/2's LayerNorm + modulation; the same models, inputs, timing
 * loops and fields as the command line (entries.ts, model-timing.ts, kernel-timing.ts).
 *
 * Ours only: the peer's columns are null. onnxruntime-web needs ONNX files that the command line
 * exports with PyTorch (tools/peer/export_onnx.py), which a browser cannot, and its WebGPU build's
 * wasm is 28 MB the app would ship for this page alone.
 */
import * as ops from '../../gpu/ops.ts';
import { Program } from '../../gpu/program.ts';
import { Allocator } from '../../gpu/tensor.ts';
import { checked } from '../../gpu/device.ts';
import { writeSafetensors } from '../../weights/safetensors.ts';
import { bytesSource } from '../../weights/source.ts';
import type { AdapterSummary } from '../api.ts';
import type { GpuContext } from '../gpu-context.ts';
import { loadDit } from '../model-loader.ts';
import { forwardEntry, kernelEntry, LAYERNORM_S2, layerNormFlops, layerNormMeasures, sampleStepEntry, SEED, TINY, type KernelTimes } from './entries.ts';
import { ioTimes, replayTimes } from './kernel-timing.ts';
import { timeDitForward, timeSampleSteps } from './model-timing.ts';
import { randn } from './random.ts';
import { randomDitInputs, randomDitWeights } from './random-dit.ts';
import { type BenchEntry, type BenchReport, reportAdapter } from './report.ts';
import type { TimingOptions } from './timing.ts';

/** What the quick benchmark needs of the engine (Engine: init, kernelChoices, local.context). */
export interface BenchEngine {
  init(): Promise<AdapterSummary>;
  kernelChoices(): Promise<unknown>;
  local: { context(): Promise<GpuContext> };
}

const NO_PEER_HERE = 'the peer (onnxruntime-web) runs on the command line only (npm run bench)';

/** DiT-S/2's LayerNorm + modulation, timed as the command line's kernel lab times it. */
async function layerNormTimes(ctx: GpuContext, timing: TimingOptions): Promise<KernelTimes> {
  const { N, T, D } = LAYERNORM_S2;
  const alloc = new Allocator(ctx.gpu);
  try {
    // The command line's seeds for this entry in a quick run (tests/bench/kernels.ts).
    const xData = randn(100, N * T * D);
    const modData = randn(101, N * 2 * D, 0.5);
    const x = alloc.upload(xData, [N * T, D], 'x');
    const modulation = alloc.upload(modData, [N, 2 * D], 'modulation');
    const y = alloc.tensor([N * T, D], 'y');
    const prog = new Program(ctx.gpu, ctx.pipelines, alloc);
    await checked(ctx.gpu, 'layerNormModulate', () => {
      ops.layerNormModulate(prog, x, y, N * T, D, T, { modulation, stride: 2 * D, shiftOffset: 0, scaleOffset: D });
      prog.finish().submit();
    });
    const replays = await replayTimes(ctx.gpu, prog, timing.warmup + timing.runs);
    const io = await ioTimes(ctx.gpu, prog, [{ tensor: x, data: xData }, { tensor: modulation, data: modData }], [y], timing.warmup, timing.runs);
    prog.destroy();
    return { replayTimes: replays.times, passTimes: replays.passTimes, ioTimes: io };
  } finally {
    alloc.freeAll();
  }
}

/** Runs the quick entries; `onProgress` hears the name of each entry as it starts. */
export async function runQuickBench(engine: BenchEngine, timing: TimingOptions, onProgress?: (entry: string) => void): Promise<BenchReport> {
  const adapter = await engine.init();
  const ctx = await engine.local.context();
  const entries: BenchEntry[] = [];
  const c = TINY;

  onProgress?.('dit-tiny-forward-b2');
  const runner = await loadDit(ctx, bytesSource(writeSafetensors(randomDitWeights(c, SEED)), 'tiny DiT (random weights)'), c);
  const { x, t, y } = randomDitInputs(c, 2, SEED + 1);
  const forward = await timeDitForward(ctx, runner, { x: { shape: [2, c.in_channels, c.input_size, c.input_size], data: x }, t, y }, timing);
  entries.push({ ...forwardEntry('dit-tiny-forward-b2', c, 2, forward), peer_skipped: NO_PEER_HERE });

  onProgress?.('dit-tiny-cfg-step');
  const steps = await timeSampleSteps(ctx, runner.weights, {
    labels: Int32Array.of(7 % c.num_classes), respacing: String(1 + timing.warmup + timing.runs), sampler: 'ddpm', cfgScale: 4, seed: SEED,
  });
  entries.push(sampleStepEntry('dit-tiny-cfg-step', c, steps, timing.warmup));

  const { name, N, T, D } = LAYERNORM_S2;
  onProgress?.(name);
  entries.push({ ...kernelEntry(name, layerNormMeasures(N, T, D), layerNormFlops(N, T, D), await layerNormTimes(ctx, timing), timing.warmup), peer_skipped: NO_PEER_HERE });

  const nav = (globalThis as { navigator?: { userAgent?: string; hardwareConcurrency?: number } }).navigator;
  return {
    adapter: reportAdapter(adapter),
    date: new Date().toISOString(),
    mode: 'quick',
    runs: timing.runs, warmup: timing.warmup,
    peer: null,
    kernel_choices: await engine.kernelChoices(),
    machine: { userAgent: nav?.userAgent ?? 'unknown', hardwareConcurrency: nav?.hardwareConcurrency ?? null },
    entries,
  };
}
