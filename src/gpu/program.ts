/**
 * A Program is a recorded list of dispatches (and buffer copies) that replays with no CPU readback
 * in between: as ONE command buffer (`submit`), or, for work too long for one submission (the VAE
 * decode runs for minutes on a software GPU, where issue 5 saw Chromium's GPU process die), in
 * consecutive pieces of bounded estimated work (`submitInPieces`). Kernel wrappers append to it; the model's forward records
 * itself once per batch size and replays every step.
 */
import type { Gpu } from './device.ts';
import type { KernelSpec, PipelineCache } from './kernel.ts';
import { packParams, type ParamsLayout, type ParamsOf } from './params.ts';
import type { Allocator, Tensor } from './tensor.ts';

type Step =
  | { kind: 'dispatch'; label: string; pipeline: GPUComputePipeline; bindGroup: GPUBindGroup; workgroups: [number, number, number]; work: number }
  | { kind: 'copy'; src: GPUBuffer; srcOffset: number; dst: GPUBuffer; dstOffset: number; bytes: number };

const UNIFORM_ALIGN = 256;

/** One dispatch as a profile sees it (see `Program.profile`). */
export interface ProfiledDispatch {
  label: string;
  workgroups: [number, number, number];
  /** Estimated FLOPs (the `work` the wrapper recorded). */
  work: number;
}

export interface ProgramOptions {
  /**
   * Estimated FLOPs one submission of `submitInPieces` may carry (default: no bound, one piece).
   * Wrappers that can split their work (conv2d by output rows, attention by queries) also keep
   * each dispatch within it.
   */
  workPerSubmit?: number;
}

/**
 * Splits consecutive steps of the given work into pieces [from, to) of at most `max` in total,
 * greedily; a step over `max` is a piece of its own (with any free steps around it). Steps of no
 * work join the current piece.
 */
export function piecesByWork(work: readonly number[], max: number): [number, number][] {
  if (!(max > 0)) throw new Error(`work per piece must be positive, got ${max}`);
  const out: [number, number][] = [];
  let from = 0;
  let sum = 0;
  work.forEach((w, i) => {
    if (sum > 0 && w > 0 && sum + w > max) {
      out.push([from, i]);
      from = i;
      sum = 0;
    }
    sum += w;
  });
  if (work.length > from) out.push([from, work.length]);
  return out;
}

export class Program {
  /**
   * Profiling only (the benchmarks' `--profile`): while set, every dispatch is encoded in a compute
   * pass of its own, so a pass's timestamps time that dispatch alone, and is listed here in order.
   * Null (the default): consecutive dispatches share a pass.
   */
  static profile: ProfiledDispatch[] | null = null;

  private readonly steps: Step[] = [];
  private readonly uniformData: ArrayBuffer[] = [];
  private readonly pendingBinds: { step: Step & { kind: 'dispatch' }; pipeline: GPUComputePipeline; buffers: GPUBuffer[]; slot: number }[] = [];
  private uniforms: GPUBuffer | null = null;
  /** Estimated FLOPs per submission of submitInPieces (Infinity: no bound). */
  readonly workPerSubmit: number;

  constructor(
    readonly gpu: Gpu,
    readonly pipelines: PipelineCache,
    readonly alloc: Allocator,
    opts: ProgramOptions = {},
  ) {
    this.workPerSubmit = opts.workPerSubmit ?? Infinity;
    if (!(this.workPerSubmit > 0)) throw new Error(`work per submission must be positive, got ${this.workPerSubmit}`);
  }

  /**
   * Records one dispatch. `params` gives the fields of the kernel's Params struct by name (its
   * layout: spec.params), packed to bind at @binding(0) as a uniform; `buffers` bind to
   * @binding(1), (2), ... in order. `work` is its estimated FLOPs, for submitInPieces (0 for the
   * memory-bound kernels: cheap next to the matmuls and convolutions around them).
   */
  dispatch<L extends ParamsLayout>(spec: KernelSpec<L>, params: NoInfer<ParamsOf<L>>, buffers: (Tensor | GPUBuffer)[], workgroups: [number, number?, number?], work = 0): void {
    const pipeline = this.pipelines.get(spec);
    const max = this.gpu.limits.maxComputeWorkgroupsPerDimension;
    const wg: [number, number, number] = [workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1];
    if (wg.some((n) => n > max)) throw new Error(`${spec.name}: dispatch ${wg} exceeds ${max} workgroups per dimension`);
    if (wg.some((n) => n === 0)) return; // nothing to do
    const step = { kind: 'dispatch' as const, label: spec.name, pipeline, bindGroup: null as unknown as GPUBindGroup, workgroups: wg, work };
    const slot = this.uniformData.length;
    this.uniformData.push(packParams(spec.params, params));
    this.pendingBinds.push({ step, pipeline, buffers: buffers.map((b) => ('buffer' in b ? b.buffer : b)), slot });
    this.steps.push(step);
  }

  copy(src: Tensor, dst: Tensor, elements = src.size, srcOffsetElems = 0, dstOffsetElems = 0): void {
    this.steps.push({ kind: 'copy', src: src.buffer, srcOffset: srcOffsetElems * 4, dst: dst.buffer, dstOffset: dstOffsetElems * 4, bytes: elements * 4 });
  }

  get dispatchCount(): number {
    return this.steps.filter((s) => s.kind === 'dispatch').length;
  }

  /** Estimated FLOPs of every dispatch recorded. */
  get totalWork(): number {
    return this.steps.reduce((a, s) => a + (s.kind === 'dispatch' ? s.work : 0), 0);
  }

  /** The pieces submitInPieces submits: step ranges [from, to) of at most workPerSubmit each (a single larger step alone), with their work. */
  pieces(): { from: number; to: number; work: number }[] {
    const work = this.steps.map((s) => (s.kind === 'dispatch' ? s.work : 0));
    const ranges = this.workPerSubmit === Infinity ? [[0, work.length]] : piecesByWork(work, this.workPerSubmit);
    return ranges.map(([from, to]) => ({ from, to, work: work.slice(from, to).reduce((a, b) => a + b, 0) }));
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

  /** Encodes steps from .. to (default: every step); consecutive dispatches share one compute pass. */
  encode(encoder: GPUCommandEncoder, from = 0, to = this.steps.length): void {
    if (!this.uniforms) throw new Error('Program.encode before finish()');
    let pass: GPUComputePassEncoder | null = null;
    const profile = Program.profile;
    for (const s of this.steps.slice(from, to)) {
      if (s.kind === 'dispatch') {
        pass ??= encoder.beginComputePass();
        pass.setPipeline(s.pipeline);
        pass.setBindGroup(0, s.bindGroup);
        pass.dispatchWorkgroups(...s.workgroups);
        if (profile) {
          profile.push({ label: s.label, workgroups: s.workgroups, work: s.work });
          pass.end();
          pass = null;
        }
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

  /**
   * Submits the pieces one command buffer each, waiting for the queue to drain before the next,
   * so the GPU never holds more than one piece (same steps, same order: the same results as
   * submit). Returns the number of submissions.
   */
  async submitInPieces(): Promise<number> {
    const pieces = this.pieces();
    for (const [i, { from, to }] of pieces.entries()) {
      if (i > 0) await this.gpu.device.queue.onSubmittedWorkDone();
      const enc = this.gpu.device.createCommandEncoder();
      this.encode(enc, from, to);
      this.gpu.device.queue.submit([enc.finish()]);
    }
    return pieces.length;
  }

  destroy(): void {
    if (this.uniforms) this.alloc.free(this.uniforms);
    this.uniforms = null;
  }
}
