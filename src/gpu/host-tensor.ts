/** Tensors as they cross between hosts: a shape and float32 (or int32 label) values. */
export interface HostTensorF32 {
  shape: number[];
  data: Float32Array;
}

export interface HostTensorI32 {
  shape: number[];
  data: Int32Array;
}
