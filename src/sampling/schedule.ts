/**
 * Noise schedules of DiT's diffusion code (ADM / improved-diffusion `gaussian_diffusion.py`
 * and `respace.py`), in float64 throughout, with the same operation order as the numpy reference
 * so the arrays agree to the last few ulps.
 *
 * Indices: a `SpacedDiffusion` of N steps is indexed by the respaced step i = 0..N-1 (0 is the
 * least noisy); `timestepMap[i]` is the original timestep (0..999) the model is fed.
 */

/** Number of steps of the base process DiT was trained with. */
export const DIFFUSION_STEPS = 1000;

/**
 * `get_named_beta_schedule('linear', steps)`: betas from 1e-4 to 0.02, both scaled by
 * 1000/steps, spaced like `np.linspace` (start + i*step, the last one exactly the end).
 */
export function linearBetaSchedule(steps: number = DIFFUSION_STEPS): Float64Array {
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`linearBetaSchedule: steps must be a positive integer, got ${steps}`);
  const scale = 1000 / steps;
  const start = scale * 0.0001;
  const end = scale * 0.02;
  const betas = new Float64Array(steps);
  const step = (end - start) / (steps - 1);
  for (let i = 0; i < steps; i++) betas[i] = i * step + start;
  if (steps > 1) betas[steps - 1] = end;
  return betas;
}

/** Python's `round()` on a float: ties go to the even integer (Math.round sends them up). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const frac = x - f;
  if (frac < 0.5) return f;
  if (frac > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** Python's `int(str)` for the decimal strings a respacing holds (whitespace, sign, `_` separators). */
function parsePythonInt(text: string, context: string): number {
  if (!/^\s*[+-]?\d+(_\d+)*\s*$/.test(text)) {
    throw new Error(`timestep respacing ${JSON.stringify(context)}: ${JSON.stringify(text)} is not an integer`);
  }
  const value = Number(text.trim().replace(/_/g, ''));
  if (!Number.isSafeInteger(value)) throw new Error(`timestep respacing ${JSON.stringify(context)}: ${JSON.stringify(text)} is too large`);
  return value;
}

/**
 * `space_timesteps(num_timesteps, section_counts)`: which original timesteps a respaced process
 * keeps, sorted ascending.
 *
 * - `"ddimN"`: the first integer stride s (1 <= s < numTimesteps) for which `range(0, T, s)` has
 *   exactly N elements; an error when no stride gives N.
 * - `"a,b,c"` (or a single `"N"`): the T steps are cut into len(counts) near-equal sections
 *   (the first T % len ones a step longer) and section k keeps counts[k] evenly spaced steps,
 *   at `start + round(cur)` with cur accumulated by repeated addition of the fractional stride,
 *   rounded half-to-even like Python (this decides e.g. "25": 166.5 -> 166).
 *
 * Errors where the reference raises (non-integers, unreachable DDIM counts, a count larger than
 * its section). Stricter than the reference: a negative count (which Python silently treats as 0)
 * and a respacing that keeps no step at all are errors too.
 */
export function spaceTimesteps(numTimesteps: number, sectionCounts: string): number[] {
  if (!Number.isInteger(numTimesteps) || numTimesteps < 1) throw new Error(`spaceTimesteps: numTimesteps must be a positive integer, got ${numTimesteps}`);
  if (sectionCounts.startsWith('ddim')) {
    const desired = parsePythonInt(sectionCounts.slice('ddim'.length), sectionCounts);
    for (let stride = 1; stride < numTimesteps; stride++) {
      if (Math.ceil(numTimesteps / stride) === desired) {
        const steps: number[] = [];
        for (let t = 0; t < numTimesteps; t += stride) steps.push(t);
        return steps;
      }
    }
    throw new Error(`timestep respacing ${JSON.stringify(sectionCounts)}: cannot create exactly ${desired} steps out of ${numTimesteps} with an integer stride`);
  }
  const counts = sectionCounts.split(',').map((part) => parsePythonInt(part, sectionCounts));
  const sizePer = Math.floor(numTimesteps / counts.length);
  const extra = numTimesteps % counts.length;
  const kept = new Set<number>();
  let startIdx = 0;
  counts.forEach((count, k) => {
    const size = sizePer + (k < extra ? 1 : 0);
    if (count < 0) throw new Error(`timestep respacing ${JSON.stringify(sectionCounts)}: negative step count ${count}`);
    if (size < count) throw new Error(`timestep respacing ${JSON.stringify(sectionCounts)}: cannot divide a section of ${size} steps into ${count}`);
    const fracStride = count <= 1 ? 1 : (size - 1) / (count - 1);
    let cur = 0;
    for (let j = 0; j < count; j++) {
      kept.add(startIdx + roundHalfEven(cur));
      cur += fracStride;
    }
    startIdx += size;
  });
  if (kept.size === 0) throw new Error(`timestep respacing ${JSON.stringify(sectionCounts)} keeps no timestep`);
  return [...kept].sort((a, b) => a - b);
}

/** The arrays `GaussianDiffusion.__init__` derives from betas (all float64, length T). */
export interface DiffusionArrays {
  betas: Float64Array;
  alphasCumprod: Float64Array;
  alphasCumprodPrev: Float64Array;
  alphasCumprodNext: Float64Array;
  sqrtAlphasCumprod: Float64Array;
  sqrtOneMinusAlphasCumprod: Float64Array;
  logOneMinusAlphasCumprod: Float64Array;
  sqrtRecipAlphasCumprod: Float64Array;
  sqrtRecipm1AlphasCumprod: Float64Array;
  /** beta_t (1 - abar_{t-1}) / (1 - abar_t): the variance of q(x_{t-1} | x_t, x_0). */
  posteriorVariance: Float64Array;
  /**
   * log(posterior variance) with entry 0 (where the variance is 0) replaced by entry 1, as DiT's
   * copy of the code does; empty for a 1-step process, like the reference.
   */
  posteriorLogVarianceClipped: Float64Array;
  /** Posterior mean = coef1 * x_0 + coef2 * x_t. */
  posteriorMeanCoef1: Float64Array;
  posteriorMeanCoef2: Float64Array;
}

const map = (a: Float64Array, f: (v: number, i: number) => number): Float64Array => Float64Array.from(a, f);

/** `GaussianDiffusion.__init__` for the given betas, same operation order as numpy. */
export function diffusionArrays(betasIn: ArrayLike<number>): DiffusionArrays {
  const betas = Float64Array.from(betasIn);
  const T = betas.length;
  if (T < 1) throw new Error('diffusionArrays: no betas');
  for (const b of betas) if (!(b > 0 && b <= 1)) throw new Error(`diffusionArrays: betas must lie in (0, 1], got ${b}`);
  const alphas = map(betas, (b) => 1.0 - b);
  const alphasCumprod = new Float64Array(T);
  let product = 1.0;
  for (let i = 0; i < T; i++) alphasCumprod[i] = product *= alphas[i];
  const alphasCumprodPrev = map(alphasCumprod, (_, i) => (i === 0 ? 1.0 : alphasCumprod[i - 1]));
  const alphasCumprodNext = map(alphasCumprod, (_, i) => (i === T - 1 ? 0.0 : alphasCumprod[i + 1]));
  const posteriorVariance = map(betas, (b, i) => (b * (1.0 - alphasCumprodPrev[i])) / (1.0 - alphasCumprod[i]));
  return {
    betas,
    alphasCumprod,
    alphasCumprodPrev,
    alphasCumprodNext,
    sqrtAlphasCumprod: map(alphasCumprod, Math.sqrt),
    sqrtOneMinusAlphasCumprod: map(alphasCumprod, (a) => Math.sqrt(1.0 - a)),
    logOneMinusAlphasCumprod: map(alphasCumprod, (a) => Math.log(1.0 - a)),
    sqrtRecipAlphasCumprod: map(alphasCumprod, (a) => Math.sqrt(1.0 / a)),
    sqrtRecipm1AlphasCumprod: map(alphasCumprod, (a) => Math.sqrt(1.0 / a - 1)),
    posteriorVariance,
    posteriorLogVarianceClipped:
      T > 1 ? map(posteriorVariance, (v, i) => Math.log(i === 0 ? posteriorVariance[1] : v)) : new Float64Array(0),
    posteriorMeanCoef1: map(betas, (b, i) => (b * Math.sqrt(alphasCumprodPrev[i])) / (1.0 - alphasCumprod[i])),
    posteriorMeanCoef2: map(betas, (_, i) => ((1.0 - alphasCumprodPrev[i]) * Math.sqrt(alphas[i])) / (1.0 - alphasCumprod[i])),
  };
}

/**
 * `SpacedDiffusion`: the base process restricted to a subset of its timesteps. The new betas are
 * 1 - abar[t_k] / abar[t_{k-1}] (abar of the base process), so the respaced process has the same
 * marginals q(x_t | x_0) at the kept timesteps.
 */
export class SpacedDiffusion implements DiffusionArrays {
  readonly numTimesteps: number;
  readonly originalNumSteps: number;
  /** Original timestep of each respaced step: what the model is fed (DiT does not rescale it). */
  readonly timestepMap: readonly number[];
  readonly betas: Float64Array;
  readonly alphasCumprod: Float64Array;
  readonly alphasCumprodPrev: Float64Array;
  readonly alphasCumprodNext: Float64Array;
  readonly sqrtAlphasCumprod: Float64Array;
  readonly sqrtOneMinusAlphasCumprod: Float64Array;
  readonly logOneMinusAlphasCumprod: Float64Array;
  readonly sqrtRecipAlphasCumprod: Float64Array;
  readonly sqrtRecipm1AlphasCumprod: Float64Array;
  readonly posteriorVariance: Float64Array;
  readonly posteriorLogVarianceClipped: Float64Array;
  readonly posteriorMeanCoef1: Float64Array;
  readonly posteriorMeanCoef2: Float64Array;

  constructor(useTimesteps: Iterable<number>, baseBetas: ArrayLike<number>) {
    const keep = new Set(useTimesteps);
    const base = diffusionArrays(baseBetas);
    const newBetas: number[] = [];
    const timestepMap: number[] = [];
    let lastAlphaCumprod = 1.0;
    base.alphasCumprod.forEach((alphaCumprod, t) => {
      if (!keep.has(t)) return;
      newBetas.push(1 - alphaCumprod / lastAlphaCumprod);
      lastAlphaCumprod = alphaCumprod;
      timestepMap.push(t);
    });
    if (timestepMap.length !== keep.size) {
      throw new Error(`SpacedDiffusion: timesteps ${[...keep].filter((t) => !timestepMap.includes(t)).join(', ')} are outside 0..${base.betas.length - 1}`);
    }
    const a = diffusionArrays(newBetas);
    this.betas = a.betas;
    this.alphasCumprod = a.alphasCumprod;
    this.alphasCumprodPrev = a.alphasCumprodPrev;
    this.alphasCumprodNext = a.alphasCumprodNext;
    this.sqrtAlphasCumprod = a.sqrtAlphasCumprod;
    this.sqrtOneMinusAlphasCumprod = a.sqrtOneMinusAlphasCumprod;
    this.logOneMinusAlphasCumprod = a.logOneMinusAlphasCumprod;
    this.sqrtRecipAlphasCumprod = a.sqrtRecipAlphasCumprod;
    this.sqrtRecipm1AlphasCumprod = a.sqrtRecipm1AlphasCumprod;
    this.posteriorVariance = a.posteriorVariance;
    this.posteriorLogVarianceClipped = a.posteriorLogVarianceClipped;
    this.posteriorMeanCoef1 = a.posteriorMeanCoef1;
    this.posteriorMeanCoef2 = a.posteriorMeanCoef2;
    this.numTimesteps = newBetas.length;
    this.originalNumSteps = base.betas.length;
    this.timestepMap = timestepMap;
  }

  /**
   * DiT's `create_diffusion(timestep_respacing)`: linear schedule, learned-range variance,
   * respaced by `spaceTimesteps`; "" means no respacing (all base steps), as in the reference.
   */
  static fromRespacing(respacing: string, diffusionSteps: number = DIFFUSION_STEPS): SpacedDiffusion {
    const kept = respacing === '' ? spaceTimesteps(diffusionSteps, String(diffusionSteps)) : spaceTimesteps(diffusionSteps, respacing);
    return new SpacedDiffusion(kept, linearBetaSchedule(diffusionSteps));
  }
}

/** What `dit schedule --respacing STR` prints: the reference's arrays under their Python names. */
export interface ScheduleReport {
  timestep_map: number[];
  betas: number[];
  alphas_cumprod: number[];
  alphas_cumprod_prev: number[];
  posterior_variance: number[];
  posterior_log_variance_clipped: number[];
  posterior_mean_coef1: number[];
  posterior_mean_coef2: number[];
  sqrt_recip_alphas_cumprod: number[];
  sqrt_recipm1_alphas_cumprod: number[];
}

export function scheduleReport(respacing: string): ScheduleReport {
  const d = SpacedDiffusion.fromRespacing(respacing);
  return {
    timestep_map: [...d.timestepMap],
    betas: [...d.betas],
    alphas_cumprod: [...d.alphasCumprod],
    alphas_cumprod_prev: [...d.alphasCumprodPrev],
    posterior_variance: [...d.posteriorVariance],
    posterior_log_variance_clipped: [...d.posteriorLogVarianceClipped],
    posterior_mean_coef1: [...d.posteriorMeanCoef1],
    posterior_mean_coef2: [...d.posteriorMeanCoef2],
    sqrt_recip_alphas_cumprod: [...d.sqrtRecipAlphasCumprod],
    sqrt_recipm1_alphas_cumprod: [...d.sqrtRecipm1AlphasCumprod],
  };
}
