/**
 * Named tensors, whatever file or layout they came from. Reads are async, one tensor at a time,
 * so a multi-GB checkpoint streams through memory tensor by tensor.
 */
export interface TensorSource {
  names(): string[];
  has(name: string): boolean;
  shape(name: string): number[];
  float32(name: string): Promise<Float32Array>;
}

/** A source with renamed (and possibly derived) tensors. */
export class MappedSource implements TensorSource {
  constructor(private readonly entries: Map<string, { shape: number[]; read: () => Promise<Float32Array> }>) {}
  names(): string[] { return [...this.entries.keys()]; }
  has(name: string): boolean { return this.entries.has(name); }
  shape(name: string): number[] {
    const e = this.entries.get(name);
    if (!e) throw new Error(`tensor "${name}" is missing`);
    return e.shape;
  }
  float32(name: string): Promise<Float32Array> {
    const e = this.entries.get(name);
    if (!e) return Promise.reject(new Error(`tensor "${name}" is missing`));
    return e.read();
  }
}
