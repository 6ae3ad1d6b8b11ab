/**
 * What `npm run bench` and the app's benchmark page share about an entry: its model or shape, what
 * it measures, its FLOP count, and its fields computed from the timings (model-timing.ts,
 * kernel-timing.ts). The peer's fields are added by the command line only (tests/bench/peer/).
 */
import type { DitConfig } from '../../model/config.ts';
import type { ForwardTiming, StepTiming } from './model-timing.ts';
import { NO_PEER, type BenchEntry } from './report.ts';
import { round, summarize } from './stats.ts';

/** Seed of the whole-model entries' random weights and inputs. */
export const SEED = 9;

/** The quick run's stand-in for DiT-S/2: same code paths, a few MFLOP (a smoke test, not a measurement of DiT-S/2). */
export const TINY: DitConfig = { input_size: 16, patch_size: 2, in_channels: 4, hidden_size: 96, depth: 2, num_heads: 3, num_classes: 10, learn_sigma: true };

/** FLOPs of one DiT forward per sample (multiply-adds × 2 of every matmul and attention product). */
export function ditForwardFlops(c: DitConfig): number {
  const D = c.hidden_size;
  const T = (c.input_size / c.patch_size) ** 2;
  const M = 4 * D;
  const perBlock = 2 * T * (D * 3 * D + D * D + D * M + M * D) + 4 * T * T * D;
  const adaLN = 2 * D * (c.depth * 6 + 2) * D;
  const embed = 2 * T * D * c.in_channels * c.patch_size ** 2 + 2 * (256 * D + D * D);
  const final = 2 * T * D * c.patch_size ** 2 * (c.learn_sigma ? 2 : 1) * c.in_channels;
  return c.depth * perBlock + adaLN + embed + final;
}

/** GPU-only fields from the timestamp times of the timed runs: their median, and the rate it gives (null without timestamps). */
export function gpuFields(flops: number, passTimes: readonly (number | null)[]): { gpu_ms: number | null; gpu_gflops: number | null } {
  const times = passTimes.filter((t): t is number => t !== null);
  if (times.length === 0 || times.length < passTimes.length) return { gpu_ms: null, gpu_gflops: null };
  const ms = summarize(times).medianMs;
  return { gpu_ms: round(ms), gpu_gflops: ms > 0 ? round(flops / (ms * 1e6)) : null };
}

/** A DiT forward at batch N, timed CPU to CPU. */
export function forwardEntry(name: string, c: DitConfig, N: number, t: ForwardTiming): BenchEntry {
  const s = summarize(t.times);
  const flops = ditForwardFlops(c) * N;
  return {
    name,
    measures: `DiT forward (x, t, y) -> out at batch ${N}: inputs written from the CPU, one submission, output read back to the CPU`,
    ours_ms: round(s.medianMs), ours_min_ms: round(s.minMs), runs: s.runs, ...NO_PEER,
    gflop: round(flops / 1e9), gflops: round(flops / (s.medianMs * 1e6)), ...gpuFields(flops, t.gpuTimes),
    dispatches: t.calls.dispatches, submits: t.calls.submits,
  };
}

/** One DDPM step with guidance (a batch-2 forward, guidance, the sampler update); the first `warmup` timed steps are dropped. */
export function sampleStepEntry(name: string, c: DitConfig, t: StepTiming, warmup: number): BenchEntry {
  const s = summarize(t.stepTimes.slice(warmup));
  const calls = t.calls[t.calls.length - 1];
  const flops = ditForwardFlops(c) * 2;
  return {
    name,
    measures: 'one DDPM step with classifier-free guidance (scale 4, one image = a batch-2 forward): the CPU writes t, coefficients and noise, one submission runs DiT + guidance + sampler update; timed from the previous step\'s completion to this one\'s (nothing read back)',
    ours_ms: round(s.medianMs), ours_min_ms: round(s.minMs), runs: s.runs, steps_per_s: round(1000 / s.medianMs), ...NO_PEER,
    gflops: round(flops / (s.medianMs * 1e6)), ...gpuFields(flops, t.stepGpuTimes.slice(warmup)),
    dispatches_per_step: calls.dispatches, submits_per_step: calls.submits,
    note: 'the peer has no sampler: its batch-2 forward (dit-s2-forward-b2) is its lower bound for a step',
  };
}

/** Timings of a kernel entry (kernel-timing.ts): the replays (the first `warmup` dropped), their GPU time, and the CPU-to-CPU runs. */
export interface KernelTimes {
  replayTimes: number[];
  passTimes: (number | null)[];
  ioTimes: number[];
}

export function kernelEntry(name: string, measures: string, flops: number, t: KernelTimes, warmup: number): BenchEntry {
  const gpu = summarize(t.replayTimes.slice(warmup));
  const io = summarize(t.ioTimes);
  return {
    name, measures,
    ours_ms: round(io.medianMs), ours_gpu_ms: round(gpu.medianMs), runs: io.runs, ...NO_PEER,
    gflop: round(flops / 1e9, 4), gflops: round(flops / (gpu.medianMs * 1e6)), ...gpuFields(flops, t.passTimes.slice(warmup)),
  };
}

/** DiT-S/2's LayerNorm + modulation at batch 2 (the quick run's kernel entry). */
export const LAYERNORM_S2 = { name: 'layernorm-modulate-s2-b2', N: 2, T: 256, D: 384 } as const;

export const layerNormMeasures = (N: number, T: number, D: number): string => `LayerNorm(x)·(1+scale)+shift over ${N}·${T} rows of ${D} (DiT-S/2 batch 2)`;

export const layerNormFlops = (N: number, T: number, D: number): number => 8 * N * T * D;
