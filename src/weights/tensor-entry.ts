/** What both weights formats (safetensors, PyTorch zip) reduce a tensor to: a name and a byte range. */

export type DType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const DTYPE_BYTES: Record<DType, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

export function isDType(s: unknown): s is DType {
  return typeof s === 'string' && Object.hasOwn(DTYPE_BYTES, s);
}

/** A contiguous little-endian tensor stored at bytes [begin, end) of its file. */
export interface TensorEntry {
  name: string;
  dtype: DType;
  shape: number[];
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
}

/** Element count of a shape; every dimension must already be a non-negative safe integer. */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A weights file opened for streaming: its tensors by name, whatever the format. */
export interface WeightsIndex {
  format: 'safetensors' | 'torch-zip';
  tensors: Map<string, TensorEntry>;
  /** safetensors `__metadata__`; for PyTorch checkpoints, what was chosen (`state_dict: "ema"`). */
  metadata: Record<string, string>;
}
