/**
 * A simple recogniser for the built-in model's pictures: the nearest rendered emoji in pixel
 * space, after 4x4 average pooling (colour and layout at 8x8, robust to the fine detail a small
 * model blurs).
 */
import { toInt32, type SafetensorsFile } from '../../src/weights/safetensors.ts';

export const POOL = 4;

/** Sums of the POOLxPOOL pixel blocks of a size x size HWC image (bytes 0..255): exact integers. */
export function blockSums(hwc: ArrayLike<number>, size = 32): Int32Array {
  const s = size / POOL;
  const out = new Int32Array(s * s * 3);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) for (let c = 0; c < 3; c++) {
    out[(Math.floor(y / POOL) * s + Math.floor(x / POOL)) * 3 + c] += hwc[(y * size + x) * 3 + c];
  }
  return out;
}

/** HWC bytes (0..255) of a 32x32 image → pooled 8x8x3 floats (block means, 0..255). */
export function pooled(hwc: ArrayLike<number>, size = 32): Float32Array {
  return Float32Array.from(blockSums(hwc, size), (v) => v / (POOL * POOL));
}

/** An NCHW image in [-1, 1] (one sample) → HWC bytes, as the image would be saved. */
export function toHwcBytes(chw: Float32Array, size = 32): Uint8Array {
  const plane = size * size;
  const out = new Uint8Array(plane * 3);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.round(255 * Math.min(1, Math.max(0, chw[c * plane + i] / 2 + 0.5)));
  return out;
}

export interface References {
  classIds: number[];
  pooled: Float32Array[];
}

export function loadReferences(file: SafetensorsFile): References {
  const images = file.raw('images').bytes;
  const ids = Array.from(toInt32(file.raw('class_ids')));
  const per = 32 * 32 * 3;
  return { classIds: ids, pooled: ids.map((_, i) => pooled(images.subarray(i * per, (i + 1) * per))) };
}

/** Rank (0 = nearest) of `classId` among all references, and the distance to it. */
export function rankOf(refs: References, image: Float32Array, classId: number): { rank: number; distance: number } {
  const d = refs.pooled.map((r) => {
    let s = 0;
    for (let i = 0; i < r.length; i++) s += (r[i] - image[i]) ** 2;
    return Math.sqrt(s);
  });
  const index = refs.classIds.indexOf(classId);
  if (index < 0) throw new Error(`class ${classId} has no reference emoji`);
  const own = d[index];
  return { rank: d.filter((v) => v < own).length, distance: own };
}
