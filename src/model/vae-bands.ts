/**
 * How a decode of a given latent shape is split into row bands: one split of the latent rows,
 * doubled at each upsampling level, so a band at level L+1 is exactly the upsampled band of level
 * L. Bands are sized so no buffer exceeds a byte limit (the adapter's binding limit or a budget),
 * or forced to `tileRows` latent rows. No GPU here (importable from Node).
 */
import { levelChannels, numUpBlocks, upBlockChannels, type VaeConfig } from './vae-config.ts';

/** Splits H rows into bands of `rowsPerBand` (the last one shorter). */
export function evenBands(H: number, rowsPerBand: number): number[] {
  if (!Number.isInteger(rowsPerBand) || rowsPerBand < 1) throw new Error(`band rows must be a positive integer, got ${rowsPerBand}`);
  const out: number[] = [];
  for (let r = 0; r < H; r += rowsPerBand) out.push(Math.min(rowsPerBand, H - r));
  return out;
}

export interface VaePlan {
  batch: number;
  /** Latent rows and columns. */
  height: number;
  width: number;
  /** Rows of each band at the latent level; level L bands are these times 2^L. */
  latentBands: number[];
  /** Queries per attention score pass (scores buffer: queryChunk x tokens). */
  queryChunk: number;
}

export const levels = (c: VaeConfig): number => numUpBlocks(c);
export const bandRowsAt = (plan: VaePlan, level: number): number[] => plan.latentBands.map((r) => r * 2 ** level);

/** Largest f32 values one band buffer (or any single buffer) may hold. */
function maxValues(limitBytes: number): number {
  return Math.floor(limitBytes / 4);
}

/** Values in one latent row's worth of band at the widest channel count of each level (max over levels). */
function valuesPerLatentRow(c: VaeConfig, B: number, w: number): number {
  let most = 0;
  for (let L = 0; L < levels(c); L++) {
    const channels = Math.max(...levelChannels(c, L), L === levels(c) - 1 ? c.out_channels : 0);
    most = Math.max(most, B * channels * 2 ** L * w * 2 ** L);
  }
  return most;
}

/**
 * Bands for a latent [B, ·, h, w]: `tileRows` latent rows per band when given, else as few bands as
 * keep every buffer within `limitBytes` (the adapter's binding limit or a memory budget), balanced.
 */
export function planVaeDecode(c: VaeConfig, B: number, h: number, w: number, limitBytes: number, tileRows?: number): VaePlan {
  const perRow = valuesPerLatentRow(c, B, w);
  const fit = Math.floor(maxValues(limitBytes) / perRow);
  let latentBands: number[];
  if (tileRows !== undefined) {
    if (!Number.isInteger(tileRows) || tileRows < 1) throw new Error(`tile rows must be a positive integer, got ${tileRows}`);
    if (Math.min(tileRows, h) > fit) throw new Error(`bands of ${tileRows} latent rows need ${perRow * Math.min(tileRows, h) * 4} bytes per buffer, over the limit of ${limitBytes}; use at most ${Math.max(fit, 0)}`);
    latentBands = evenBands(h, tileRows);
  } else {
    if (fit < 1) throw new Error(`a ${B}x${w} latent is too wide to decode: one latent row needs ${perRow * 4} bytes per buffer, over the limit of ${limitBytes}`);
    const count = Math.ceil(h / fit);
    latentBands = evenBands(h, Math.ceil(h / count));
  }
  const tokens = h * w;
  const R0 = upBlockChannels(c)[0];
  if (B * tokens * 3 * R0 > maxValues(limitBytes)) throw new Error(`the mid-block attention over ${tokens} tokens of ${R0} channels (batch ${B}) needs ${B * tokens * 3 * R0 * 4} bytes for q|k|v, over the limit of ${limitBytes}`);
  const queryChunk = Math.max(1, Math.min(tokens, Math.floor(maxValues(limitBytes) / tokens)));
  return { batch: B, height: h, width: w, latentBands, queryChunk };
}

