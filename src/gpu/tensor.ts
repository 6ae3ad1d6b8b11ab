/** GPU buffers with shapes, and the allocator that counts every byte the engine holds. */
import type { Gpu } from './device.ts';

export const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export interface Tensor {
  buffer: GPUBuffer;
  shape: number[];
  /** Elements (f32 words; an f16-packed tensor counts its f32 words). */
  size: number;
  label: string;
}

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Tracks live and peak GPU bytes of everything allocated through it. */
export class Allocator {
  liveBytes = 0;
  peakBytes = 0;
  private readonly sizes = new Map<GPUBuffer, number>();

  constructor(private readonly gpu: Gpu) {}

  buffer(bytes: number, label: string, usage = STORAGE): GPUBuffer {
    // WebGPU bindings need a non-zero, 4-byte-multiple size.
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    if (size > this.gpu.limits.maxBufferSize) {
      throw new Error(`${label}: ${size} bytes exceed the adapter's maxBufferSize (${this.gpu.limits.maxBufferSize})`);
    }
    const buffer = this.gpu.device.createBuffer({ size, usage, label });
    this.sizes.set(buffer, size);
    this.liveBytes += size;
    this.peakBytes = Math.max(this.peakBytes, this.liveBytes);
    return buffer;
  }

  tensor(shape: number[], label: string): Tensor {
    const size = numel(shape);
    return { buffer: this.buffer(size * 4, label), shape, size, label };
  }

  /** A tensor holding `data` (f32 words or raw u32/i32 words). */
  upload(data: Float32Array | Int32Array | Uint32Array, shape: number[], label: string): Tensor {
    const t = this.tensor(shape, label);
    if (data.length !== t.size) throw new Error(`${label}: ${data.length} values for shape [${shape}]`);
    writeTensor(this.gpu, t, data);
    return t;
  }

  free(buffer: GPUBuffer): void {
    const size = this.sizes.get(buffer);
    if (size === undefined) return;
    this.sizes.delete(buffer);
    this.liveBytes -= size;
    buffer.destroy();
  }

  freeAll(): void {
    for (const b of [...this.sizes.keys()]) this.free(b);
  }
}

/** Copies a tensor back to the CPU as float32. */
export async function readTensor(gpu: Gpu, t: Tensor): Promise<Float32Array> {
  const bytes = t.size * 4;
  const staging = gpu.device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 16) * 16), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = gpu.device.createCommandEncoder();
  enc.copyBufferToBuffer(t.buffer, 0, staging, 0, Math.ceil(bytes / 4) * 4);
  gpu.device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
  staging.unmap();
  staging.destroy();
  return out;
}

/** Fills a tensor with NaN so that any element a kernel fails to write is caught by a test. */
export function poison(gpu: Gpu, t: Tensor): void {
  const words = new Uint32Array(t.size).fill(0x7fc00000);
  gpu.device.queue.writeBuffer(t.buffer, 0, words);
}

/** Writes host values into a tensor from element `offset` on. */
export function writeTensor(gpu: Gpu, t: Tensor, data: Float32Array | Int32Array | Uint32Array, offset = 0): void {
  if (offset + data.length > t.size) throw new Error(`${t.label}: writing ${data.length} values at ${offset} overruns ${t.size}`);
  gpu.device.queue.writeBuffer(t.buffer, offset * 4, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
}
