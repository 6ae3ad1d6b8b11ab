/**
 * A Program is a recorded list of dispatches (and buffer copies) that replays as ONE command
 * buffer with no CPU readback in between. Kernel wrappers append to it; the model's forward
 * records itself once per batch size and replays every step.
 */
import type { Gpu } from './device.ts';
import type { KernelSpec, PipelineCache } from './kernel.ts';
import { packParams, type Param } from './params.ts';
import type { Allocator, Tensor } from './tensor.ts';

type Step =
  | { kind: 'dispatch'; label: string; pipeline: GPUComputePipeline; bindGroup: GPUBindGroup; workgroups: [number, number, number] }
  | { kind: 'copy'; src: GPUBuffer; srcOffset: number; dst: GPUBuffer; dstOffset: number; bytes: number };

const UNIFORM_ALIGN = 256;

export class Program {
  private readonly steps: Step[] = [];
  private readonly uniformData: ArrayBuffer[] = [];
  private readonly pendingBinds: { step: Step & { kind: 'dispatch' }; pipeline: GPUComputePipeline; buffers: GPUBuffer[]; slot: number }[] = [];
  private uniforms: GPUBuffer | null = null;

  constructor(
    readonly gpu: Gpu,
    readonly pipelines: PipelineCache,
    readonly alloc: Allocator,
  ) {}

  /**
   * Records one dispatch. `buffers` bind to @binding(1), (2), ... in order; the packed params
   * bind to @binding(0) as a uniform.
   */
  dispatch(spec: KernelSpec, params: Param[], buffers: (Tensor | GPUBuffer)[], workgroups: [number, number?, number?]): void {
    const pipeline = this.pipelines.get(spec);
    const max = this.gpu.limits.maxComputeWorkgroupsPerDimension;
    const wg: [number, number, number] = [workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1];
    if (wg.some((n) => n > max)) throw new Error(`${spec.name}: dispatch ${wg} exceeds ${max} workgroups per dimension`);
    if (wg.some((n) => n === 0)) return; // nothing to do
    const step = { kind: 'dispatch' as const, label: spec.name, pipeline, bindGroup: null as unknown as GPUBindGroup, workgroups: wg };
    const slot = this.uniformData.length;
    this.uniformData.push(packParams(params));
    this.pendingBinds.push({ step, pipeline, buffers: buffers.map((b) => ('buffer' in b ? b.buffer : b)), slot });
    this.steps.push(step);
  }

  copy(src: Tensor, dst: Tensor, elements = src.size, srcOffsetElems = 0, dstOffsetElems = 0): void {
    this.steps.push({ kind: 'copy', src: src.buffer, srcOffset: srcOffsetElems * 4, dst: dst.buffer, dstOffset: dstOffsetElems * 4, bytes: elements * 4 });
  }

  get dispatchCount(): number {
    return this.steps.filter((s) => s.kind === 'dispatch').length;
  }

  /** Uploads the uniforms and creates the bind groups; call once after recording. */
  finish(): this {
    const slotBytes = UNIFORM_ALIGN;
    this.uniforms = this.alloc.buffer(Math.max(1, this.uniformData.length) * slotBytes, 'program-uniforms', GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    const all = new Uint8Array(Math.max(1, this.uniformData.length) * slotBytes);
    this.uniformData.forEach((d, i) => all.set(new Uint8Array(d), i * slotBytes));
    this.gpu.device.queue.writeBuffer(this.uniforms, 0, all);
    for (const p of this.pendingBinds) {
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.uniforms, offset: p.slot * slotBytes, size: this.uniformData[p.slot].byteLength } }];
      p.buffers.forEach((buffer, i) => entries.push({ binding: i + 1, resource: { buffer } }));
      p.step.bindGroup = this.gpu.device.createBindGroup({ layout: p.pipeline.getBindGroupLayout(0), entries, label: p.step.label });
    }
    this.pendingBinds.length = 0;
    return this;
  }

  /** Encodes every step: consecutive dispatches share one compute pass. */
  encode(encoder: GPUCommandEncoder): void {
    if (!this.uniforms) throw new Error('Program.encode before finish()');
    let pass: GPUComputePassEncoder | null = null;
    for (const s of this.steps) {
      if (s.kind === 'dispatch') {
        pass ??= encoder.beginComputePass();
        pass.setPipeline(s.pipeline);
        pass.setBindGroup(0, s.bindGroup);
        pass.dispatchWorkgroups(...s.workgroups);
      } else {
        pass?.end();
        pass = null;
        encoder.copyBufferToBuffer(s.src, s.srcOffset, s.dst, s.dstOffset, s.bytes);
      }
    }
    pass?.end();
  }

  /** Encodes and submits as one command buffer. */
  submit(): void {
    const enc = this.gpu.device.createCommandEncoder();
    this.encode(enc);
    this.gpu.device.queue.submit([enc.finish()]);
  }

  destroy(): void {
    if (this.uniforms) this.alloc.free(this.uniforms);
    this.uniforms = null;
  }
}
