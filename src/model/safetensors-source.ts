/** Checkpoint files as TensorSources: a whole in-memory safetensors file, or any opened file read by range. */
import type { ByteSource } from '../weights/source.ts';
import { SafetensorsFile, toFloat32 } from '../weights/safetensors.ts';
import type { WeightsIndex } from '../weights/tensor-entry.ts';
import type { TensorSource } from './tensor-source.ts';

export function safetensorsSource(file: SafetensorsFile): TensorSource {
  return {
    names: () => file.names(),
    has: (name) => file.has(name),
    shape: (name) => file.entry(name).shape,
    float32: async (name) => file.float32(name),
  };
}

/** Tensors of an opened safetensors or PyTorch file, each read from `source` when asked for. */
export function indexedSource(index: WeightsIndex, source: ByteSource, signal?: AbortSignal): TensorSource {
  const entry = (name: string) => {
    const e = index.tensors.get(name);
    if (!e) throw new Error(`tensor "${name}" is missing from ${source.name}`);
    return e;
  };
  return {
    names: () => [...index.tensors.keys()],
    has: (name) => index.tensors.has(name),
    shape: (name) => entry(name).shape,
    float32: async (name) => {
      const e = entry(name);
      return toFloat32({ dtype: e.dtype, shape: e.shape, bytes: await source.read(e.begin, e.end, signal) });
    },
  };
}
