/**
 * A forward's per-dispatch GPU times (model-timing.ts `profileDitForward`) summed by kernel: where
 * the time goes, and at what rate each kernel does its arithmetic.
 */
import type { DispatchTime } from './model-timing.ts';
import { round } from './stats.ts';

export interface KernelShare {
  /** The kernel's shader (its pipeline label). */
  kernel: string;
  dispatches: number;
  ms: number;
  /** Of the profiled forward's summed dispatch times. */
  share: number;
  gflop: number;
  /** Null for kernels recorded with no FLOP estimate (the memory-bound ones). */
  gflops: number | null;
}

/** Sums by kernel, the slowest first. */
export function kernelShares(dispatches: readonly DispatchTime[]): KernelShare[] {
  const total = dispatches.reduce((a, d) => a + d.ms, 0);
  const by = new Map<string, { dispatches: number; ms: number; work: number }>();
  for (const d of dispatches) {
    const k = by.get(d.label) ?? { dispatches: 0, ms: 0, work: 0 };
    k.dispatches++;
    k.ms += d.ms;
    k.work += d.work;
    by.set(d.label, k);
  }
  return [...by.entries()]
    .map(([kernel, k]) => ({
      kernel, dispatches: k.dispatches, ms: round(k.ms), share: round(total > 0 ? k.ms / total : 0, 3),
      gflop: round(k.work / 1e9, 4), gflops: k.work > 0 && k.ms > 0 ? round(k.work / (k.ms * 1e6)) : null,
    }))
    .sort((a, b) => b.ms - a.ms);
}

/** A plain-text table of `kernelShares`, for the bench's log. */
export function kernelSharesTable(shares: readonly KernelShare[]): string {
  const rows = shares.map((s) => `${s.kernel.padEnd(36)} ${String(s.dispatches).padStart(4)} ${s.ms.toFixed(1).padStart(10)} ms ${(100 * s.share).toFixed(1).padStart(5)} % ${s.gflop.toFixed(3).padStart(9)} GFLOP ${s.gflops === null ? '      –' : s.gflops.toFixed(2).padStart(7)} GFLOP/s`);
  return ['kernel                               runs       time   share      work        rate', ...rows].join('\n');
}
