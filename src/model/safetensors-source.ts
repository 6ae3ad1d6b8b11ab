/** A whole in-memory safetensors file as a TensorSource. */
import { SafetensorsFile } from '../weights/safetensors.ts';
import type { TensorSource } from './tensor-source.ts';

export function safetensorsSource(file: SafetensorsFile): TensorSource {
  return {
    names: () => file.names(),
    has: (name) => file.has(name),
    shape: (name) => file.entry(name).shape,
    float32: (name) => file.float32(name),
  };
}
