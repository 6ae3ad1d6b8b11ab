/** The benchmarks' statistics: medians of timed runs, ratios, rates, relative errors (`npm run bench` and the app's benchmark page). */

export interface Summary {
  medianMs: number;
  minMs: number;
  maxMs: number;
  runs: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function summarize(times: readonly number[]): Summary {
  if (times.some((t) => !Number.isFinite(t) || t < 0)) throw new Error(`bad timings: ${times.join(', ')}`);
  return { medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times), runs: times.length };
}

/** GFLOP/s of `flops` floating-point operations done in `ms` milliseconds. */
export const gflops = (flops: number, ms: number): number => flops / (ms * 1e6);

/** peer / ours: how many times faster ours is (> 1 means ours is faster). */
export const ratio = (peerMs: number, oursMs: number): number => peerMs / oursMs;

/** ‖a − b‖ / ‖b‖ (b the reference); Infinity when a has NaNs or the lengths differ. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    num += d * d;
    den += b[i] * b[i];
  }
  if (!Number.isFinite(num)) return Infinity;
  return den === 0 ? (num === 0 ? 0 : Infinity) : Math.sqrt(num / den);
}

/** Rounds for the JSON and the table (3 significant digits, at least 2 decimals below 1). */
export function round(x: number, digits = 3): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const p = Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(x))));
  return Number(x.toFixed(Math.min(p, 6)));
}
