/**
 * Where a sampling run's noise comes from: a seed (the documented Philox generator, the same in
 * every host) or tensors injected for comparison with the reference (`z`, `step_noise`).
 */
import { gaussian, initialLatent, stepNoiseStream } from './noise.ts';
import type { HostTensorF32 } from '../gpu/host-tensor.ts';

/**
 * `seed`: one stream for the whole batch (`dit sample`); `seeds`: one seed per picture, each
 * picture drawing exactly what a run of that seed alone draws (its null-class row too), so a
 * batched grid cell equals the single picture; injected tensors.
 */
export type NoiseSpec = { seed: number } | { seeds: readonly number[] } | { z: HostTensorF32; stepNoise?: HostTensorF32 };

export function initialNoise(spec: NoiseSpec, count: number): Float32Array {
  if ('seed' in spec) return initialLatent(spec.seed, count);
  if ('seeds' in spec) {
    const latent = count / spec.seeds.length;
    if (!Number.isInteger(latent)) throw new Error(`${count} noise values do not split into ${spec.seeds.length} pictures`);
    const z = new Float32Array(count);
    spec.seeds.forEach((seed, i) => z.set(initialLatent(seed, latent), i * latent));
    return z;
  }
  if (spec.z.data.length !== count) throw new Error(`noise z has shape [${spec.z.shape}] (${spec.z.data.length} values), expected ${count} values for these labels and this model`);
  return spec.z.data;
}

/**
 * Step k's noise for `rows` rows of `latent` values. Injected `step_noise` (S, R, C, H, W) may
 * hold the doubled batch (R = rows) or only the conditional rows (R = B, repeated for the null
 * half, whose samples never reach the output).
 */
export function stepNoiseProvider(spec: NoiseSpec, latent: number, batch: number): (k: number, rows: number) => Float32Array {
  if ('seed' in spec) return (k, rows) => gaussian(spec.seed, rows * latent, stepNoiseStream(k));
  if ('seeds' in spec) {
    const seeds = spec.seeds;
    return (k, rows) => {
      // A single run of seed s draws its rows [cond, null] as one stream: cond from offset 0, null from `latent`.
      const B = seeds.length;
      if (rows !== B && rows !== 2 * B) throw new Error(`step noise for ${rows} rows, expected ${B} or ${2 * B}`);
      const out = new Float32Array(rows * latent);
      seeds.forEach((seed, i) => {
        out.set(gaussian(seed, latent, stepNoiseStream(k)), i * latent);
        if (rows === 2 * B) out.set(gaussian(seed, latent, stepNoiseStream(k), latent), (B + i) * latent);
      });
      return out;
    };
  }
  return (k, rows) => {
    const sn = spec.stepNoise;
    if (!sn) throw new Error('this sampler needs per-step noise: the noise file has no "step_noise"');
    const [S, R] = sn.shape;
    if (sn.shape.length !== 5 || sn.shape.slice(2).reduce((a, b) => a * b, 1) !== latent) throw new Error(`step_noise has shape [${sn.shape}], expected (S, 2B or B, C, H, W) matching the latent`);
    if (k >= S) throw new Error(`step_noise holds ${S} steps, the sampler needs step ${k + 1}`);
    const step = sn.data.subarray(k * R * latent, (k + 1) * R * latent);
    if (R === rows) return step;
    if (R >= batch && rows <= R) return step.slice(0, rows * latent);
    if (R === batch && rows === 2 * batch) {
      const out = new Float32Array(rows * latent);
      out.set(step);
      out.set(step, batch * latent);
      return out;
    }
    throw new Error(`step_noise has ${R} rows per step, expected ${rows} or ${batch}`);
  };
}
