/**
 * The types a lab kernel is declared with (lab.ts, vae-lab.ts): its host inputs, output names and
 * params, and the recorder that turns a run of it into dispatches.
 */
import type { BandedTensor, Shape4 } from '../../../src/gpu/banded.ts';
import type { HostTensorF32, HostTensorI32 } from '../../../src/gpu/host-tensor.ts';
import type { Program } from '../../../src/gpu/program.ts';
import type { Allocator, Tensor } from '../../../src/gpu/tensor.ts';

export type HostTensor = HostTensorF32 | HostTensorI32;

/** A kernel of the lab: host inputs by name (optional ones marked `?`), the names of its outputs, its params. */
export interface LabKernel {
  inputs: { readonly [name: string]: HostTensor | undefined };
  outputs: string;
  params: object;
}

/** Params of a kernel that takes none: `{}`. */
export type NoParams = { readonly none?: never };

/**
 * The tensors of a run on the GPU, by name: every input uploaded (undefined where an optional one
 * is absent), every output created and poisoned (an output that is also an input starts from its data).
 */
export type Tensors<D extends LabKernel> = { readonly [N in keyof D['inputs']]: Tensor } & { readonly [N in D['outputs']]: Tensor };

export interface RecordContext<D extends LabKernel> {
  alloc: Allocator;
  host: D['inputs'];
  /** Host input `name` ([B, C, H, W], f32) uploaded as row bands of these heights. */
  bandedInput(name: keyof D['inputs'] & string, bandRows: number[]): BandedTensor;
  /** A poisoned banded tensor, read back whole as output `name`. */
  bandedOutput(name: D['outputs'], shape: Shape4, bandRows: number[]): BandedTensor;
}

export type Recorder<D extends LabKernel> = (prog: Program, t: Tensors<D>, p: D['params'], ctx: RecordContext<D>) => void;

export type Recorders<M extends Record<string, LabKernel>> = { [K in keyof M]: Recorder<M[K]> };
