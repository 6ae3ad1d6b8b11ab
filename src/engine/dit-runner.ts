/**
 * Runs the DiT forward for a host: uploads inputs, replays the recorded forward (one command
 * buffer), applies classifier-free guidance on the GPU, reads back what was asked for.
 */
import { checked, type Gpu } from '../gpu/device.ts';
import type { PipelineCache } from '../gpu/kernel.ts';
import * as ops from '../gpu/ops.ts';
import { Program } from '../gpu/program.ts';
import { type Allocator, readTensor, type Tensor, writeTensor } from '../gpu/tensor.ts';
import { checkClassLabels } from '../model/class-label.ts';
import { numTokens, outChannels, type DitConfig } from '../model/config.ts';
import { allocateActivations, type Captures, type DitActivations, type DitWeights, recordDitForward } from '../model/dit.ts';
import type { HostTensorF32 } from '../gpu/host-tensor.ts';

export interface ForwardInputs {
  x: HostTensorF32; // [N, C, H, W]
  t: Float32Array; // [N]
  y: Int32Array; // [N]
}

export interface ForwardOptions {
  /** Also compute DiT's forward_with_cfg with this guidance scale (`out_cfg`). */
  cfgScale?: number;
  /** Guided eps channels: 3 as the reference, or all of them. */
  cfgChannels?: 3 | 'all';
  intermediates?: boolean;
}

const INTERMEDIATES = ['t_freq', 't_emb', 'y_emb', 'c', 'tokens_in', 'block0_out', 'blocks_out', 'final_tokens'] as const;

interface Recorded {
  acts: DitActivations;
  captures: Captures;
  prog: Program;
}

export class DitRunner {
  private readonly recorded = new Map<number, Recorded>();

  constructor(
    private readonly gpu: Gpu,
    private readonly alloc: Allocator,
    private readonly pipelines: PipelineCache,
    readonly weights: DitWeights,
  ) {}

  get config(): DitConfig {
    return this.weights.config;
  }

  /** The forward recorded for batch N (and kept for reuse). */
  private program(N: number): Recorded {
    let r = this.recorded.get(N);
    if (r) return r;
    const c = this.config;
    const T = numTokens(c);
    const acts = allocateActivations(this.alloc, c, N);
    const captures: Captures = {
      tokens_in: this.alloc.tensor([N, T, c.hidden_size], 'tokens_in'),
      block0_out: this.alloc.tensor([N, T, c.hidden_size], 'block0_out'),
      blocks_out: this.alloc.tensor([N, T, c.hidden_size], 'blocks_out'),
    };
    const prog = new Program(this.gpu, this.pipelines, this.alloc);
    recordDitForward(prog, this.weights, acts, captures);
    r = { acts, captures, prog: prog.finish() };
    this.recorded.set(N, r);
    return r;
  }

  validate(inp: ForwardInputs): number {
    const c = this.config;
    const [N, C, H, W] = inp.x.shape;
    if (inp.x.shape.length !== 4 || C !== c.in_channels || H !== c.input_size || W !== c.input_size) {
      throw new Error(`x has shape [${inp.x.shape}], expected [N, ${c.in_channels}, ${c.input_size}, ${c.input_size}] for this config`);
    }
    if (inp.t.length !== N) throw new Error(`t has ${inp.t.length} values, expected ${N}`);
    if (inp.y.length !== N) throw new Error(`y has ${inp.y.length} values, expected ${N}`);
    checkClassLabels(inp.y, c.num_classes, { allowNull: true });
    return N;
  }

  private async run(N: number, x: Float32Array, t: Float32Array, y: Int32Array): Promise<Recorded> {
    const r = await checked(this.gpu, 'recording the DiT forward', () => this.program(N));
    writeTensor(this.gpu, r.acts.x, x);
    writeTensor(this.gpu, r.acts.t, t);
    writeTensor(this.gpu, r.acts.y, y);
    await checked(this.gpu, 'DiT forward', () => r.prog.submit());
    return r;
  }

  async forward(inp: ForwardInputs, opts: ForwardOptions = {}): Promise<Record<string, HostTensorF32>> {
    const N = this.validate(inp);
    const c = this.config;
    const Cout = outChannels(c);
    const H = c.input_size;
    const T = numTokens(c);
    const result: Record<string, HostTensorF32> = {};
    const read = async (t: Tensor, shape: number[]) => ({ shape, data: await readTensor(this.gpu, t) });

    const r = await this.run(N, inp.x.data, inp.t, inp.y);
    result.out = await read(r.acts.out, [N, Cout, H, H]);
    if (opts.intermediates) {
      const a = r.acts;
      const D = c.hidden_size;
      const sources: Record<(typeof INTERMEDIATES)[number], [Tensor, number[]]> = {
        t_freq: [a.tFreq, [N, 256]], t_emb: [a.tEmb, [N, D]], y_emb: [a.yEmb, [N, D]], c: [a.c, [N, D]],
        tokens_in: [r.captures.tokens_in!, [N, T, D]], block0_out: [r.captures.block0_out!, [N, T, D]],
        blocks_out: [r.captures.blocks_out!, [N, T, D]], final_tokens: [a.finalTokens, [N, T, a.finalTokens.shape[1]]],
      };
      for (const name of INTERMEDIATES) result[name] = await read(...sources[name]);
    }

    if (opts.cfgScale !== undefined) {
      if (N % 2) throw new Error(`classifier-free guidance needs an even batch ([cond | null] halves), got ${N}`);
      // forward_with_cfg runs the model on the first half of x twice.
      const half = inp.x.data.length / 2;
      const doubled = new Float32Array(inp.x.data.length);
      doubled.set(inp.x.data.subarray(0, half), 0);
      doubled.set(inp.x.data.subarray(0, half), half);
      const rc = await this.run(N, doubled, inp.t, inp.y);
      const guided = opts.cfgChannels === 'all' ? c.in_channels : Math.min(3, c.in_channels);
      const outCfg = this.alloc.tensor([N, Cout, H, H], 'out_cfg');
      const scales = this.alloc.upload(new Float32Array(N / 2).fill(opts.cfgScale), [N / 2], 'cfg_scale');
      const prog = new Program(this.gpu, this.pipelines, this.alloc);
      ops.cfgCombine(prog, rc.acts.out, scales, outCfg, N / 2, Cout, H * H, guided);
      await checked(this.gpu, 'guidance', () => prog.finish().submit());
      result.out_cfg = await read(outCfg, [N, Cout, H, H]);
      prog.destroy();
      this.alloc.free(outCfg.buffer);
      this.alloc.free(scales.buffer);
    }
    return result;
  }
}
