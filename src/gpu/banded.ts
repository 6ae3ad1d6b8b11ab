/**
 * Row-banded NCHW activations: a tensor [B, C, H, W] too large for one storage binding is split
 * along H into bands, each its own buffer [B, C, rows, W] holding image rows row0 .. row0 + rows.
 * A whole tensor is the one-band case, so every VAE kernel takes bands and never needs to know
 * whether it is looking at the whole image. Bands cover 0 .. H in order, without gaps.
 */
import type { Gpu } from './device.ts';
import { type Allocator, poison, readTensor, type Tensor, writeTensor } from './tensor.ts';

export type Shape4 = [number, number, number, number];

export interface Band {
  /** The buffer; the band's values are its first B·C·rows·W elements (it may be larger). */
  tensor: Tensor;
  row0: number;
  rows: number;
}

export interface BandedTensor {
  shape: Shape4;
  bands: Band[];
  label: string;
}

/** Values a band holds: B·C·rows·W. */
export const bandValues = (t: BandedTensor, b: Band): number => t.shape[0] * t.shape[1] * b.rows * t.shape[3];

function checkBandRows(shape: Shape4, bandRows: number[], label: string): void {
  const total = bandRows.reduce((a, b) => a + b, 0);
  if (total !== shape[2] || bandRows.some((r) => !Number.isInteger(r) || r < 1)) {
    throw new Error(`${label}: bands [${bandRows}] do not split ${shape[2]} rows`);
  }
}

/** Views `tensors` (one per band, each large enough) as the bands of a tensor of this shape. */
export function bandedView(shape: Shape4, bandRows: number[], tensors: Tensor[], label: string): BandedTensor {
  checkBandRows(shape, bandRows, label);
  if (tensors.length !== bandRows.length) throw new Error(`${label}: ${tensors.length} buffers for ${bandRows.length} bands`);
  let row0 = 0;
  const bands = bandRows.map((rows, i) => {
    const need = shape[0] * shape[1] * rows * shape[3];
    if (tensors[i].size < need) throw new Error(`${label}: band ${i} needs ${need} values, its buffer holds ${tensors[i].size}`);
    const band = { tensor: tensors[i], row0, rows };
    row0 += rows;
    return band;
  });
  return { shape, bands, label };
}

export function allocateBanded(alloc: Allocator, shape: Shape4, bandRows: number[], label: string): BandedTensor {
  checkBandRows(shape, bandRows, label);
  const [B, C, , W] = shape;
  const tensors = bandRows.map((rows, i) => alloc.tensor([B, C, rows, W], bandRows.length > 1 ? `${label}[band ${i}]` : label));
  return bandedView(shape, bandRows, tensors, label);
}

/** The band holding image row r. */
export function bandIndexOf(t: BandedTensor, r: number): number {
  const i = t.bands.findIndex((b) => r >= b.row0 && r < b.row0 + b.rows);
  if (i < 0) throw new Error(`${t.label}: row ${r} is outside 0..${t.shape[2]}`);
  return i;
}

/** Host side: the rows row0 .. row0 + rows of an NCHW array, as a contiguous [B, C, rows, W] array. */
function sliceRows(data: Float32Array, shape: Shape4, row0: number, rows: number): Float32Array {
  const [B, C, H, W] = shape;
  const out = new Float32Array(B * C * rows * W);
  for (let nc = 0; nc < B * C; nc++) out.set(data.subarray((nc * H + row0) * W, (nc * H + row0 + rows) * W), nc * rows * W);
  return out;
}

/** Host side: the inverse of sliceRows for every band, giving the whole [B, C, H, W] array. */
function joinBands(shape: Shape4, bands: { row0: number; rows: number; data: Float32Array }[]): Float32Array {
  const [B, C, H, W] = shape;
  const out = new Float32Array(B * C * H * W);
  for (const b of bands) {
    for (let nc = 0; nc < B * C; nc++) out.set(b.data.subarray(nc * b.rows * W, (nc + 1) * b.rows * W), (nc * H + b.row0) * W);
  }
  return out;
}

export function writeBanded(gpu: Gpu, t: BandedTensor, data: Float32Array): void {
  for (const b of t.bands) writeTensor(gpu, b.tensor, sliceRows(data, t.shape, b.row0, b.rows));
}

export async function readBanded(gpu: Gpu, t: BandedTensor): Promise<Float32Array> {
  const parts = [];
  for (const b of t.bands) parts.push({ row0: b.row0, rows: b.rows, data: (await readTensor(gpu, b.tensor)).subarray(0, bandValues(t, b)) });
  return joinBands(t.shape, parts);
}

export function poisonBanded(gpu: Gpu, t: BandedTensor): void {
  for (const b of t.bands) poison(gpu, b.tensor);
}
