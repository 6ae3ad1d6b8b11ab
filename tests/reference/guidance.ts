/**
 * Model-output plumbing shared by the samplers: the eps / variance split of a learn-sigma DiT and
 * classifier-free guidance as DiT's `forward_with_cfg` does it.
 *
 * Layout everywhere: NCHW, flattened; HW = height * width.
 */

/** DiT's default: guide only eps channels 0..2 ("for exact reproducibility" in the reference). */
export const DEFAULT_GUIDED_CHANNELS = 3;

/** The number of channels of a model output: C (eps only) or 2C (eps, then the variance values v). */
export function outputChannels(out: Float32Array, batch: number, channels: number, hw: number): number {
  const perRow = channels * hw;
  if (out.length === batch * perRow) return channels;
  if (out.length === 2 * batch * perRow) return 2 * channels;
  throw new Error(`model output holds ${out.length} values; expected ${batch} x ${channels} or ${batch} x ${2 * channels} channels of ${hw} pixels`);
}

/** What the samplers need from a model output, each (N, C, H, W). */
export interface ModelPrediction {
  eps: Float32Array;
  /** The learned-range interpolation values v in [-1, 1] (nominally); null when the model does not learn sigma. */
  varValues: Float32Array | null;
}

/** Splits (N, 2C, H, W) into eps = channels [0, C) and v = channels [C, 2C); (N, C, H, W) is all eps. */
export function splitModelOutput(out: Float32Array, batch: number, channels: number, hw: number): ModelPrediction {
  const outC = outputChannels(out, batch, channels, hw);
  if (outC === channels) return { eps: out, varValues: null };
  const perRow = channels * hw;
  const eps = new Float32Array(batch * perRow);
  const varValues = new Float32Array(batch * perRow);
  for (let n = 0; n < batch; n++) {
    eps.set(out.subarray(2 * n * perRow, (2 * n + 1) * perRow), n * perRow);
    varValues.set(out.subarray((2 * n + 1) * perRow, (2 * n + 2) * perRow), n * perRow);
  }
  return { eps, varValues };
}

/**
 * Classifier-free guidance on a model output of batch 2B (rows 0..B-1 conditional, rows B..2B-1
 * the same images with the null class), exactly as DiT's `forward_with_cfg`:
 *
 * - channels c < guided: both rows b and B+b become uncond + s * (cond - uncond);
 * - all other channels (eps channels >= guided and every variance channel) pass through per row.
 *
 * `channels` is the latent channel count C (the output may hold C or 2C channels); `'all'`
 * guides every eps channel. Arithmetic is float32 step by step, like the reference tensors.
 */
export function cfgCombine(out: Float32Array, B: number, C: number, HW: number, scale: number, guidedChannels: number | 'all' = DEFAULT_GUIDED_CHANNELS): Float32Array {
  const guided = guidedChannels === 'all' ? C : guidedChannels;
  if (!Number.isInteger(guided) || guided < 0 || guided > C) throw new Error(`cfgCombine: guided channels must be an integer in [0, ${C}] or 'all', got ${guidedChannels}`);
  const outC = outputChannels(out, 2 * B, C, HW);
  const s = Math.fround(scale);
  const result = out.slice();
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < guided; c++) {
      const condAt = (b * outC + c) * HW;
      const uncondAt = ((B + b) * outC + c) * HW;
      for (let p = 0; p < HW; p++) {
        const cond = out[condAt + p];
        const uncond = out[uncondAt + p];
        const mixed = Math.fround(uncond + Math.fround(s * Math.fround(cond - uncond)));
        result[condAt + p] = mixed;
        result[uncondAt + p] = mixed;
      }
    }
  }
  return result;
}
