/**
 * Lab kernels (see lab.ts) for the VAE's kernels. Row bands are given as a comma-separated list
 * of band heights ("3,1,4"); a missing list means one band (the whole tensor).
 */
import type { Shape4 } from '../../../src/gpu/banded.ts';
import type { HostTensorF32 as F32 } from '../../../src/gpu/host-tensor.ts';
import * as vops from '../../../src/gpu/vae-ops.ts';
import { LATENT_RGB_BIAS, LATENT_RGB_MATRIX } from '../../../src/model/latent-preview.ts';
import type { Recorders } from './recorder.ts';

/** Band heights, comma-separated ("3,1,4"). */
type Bands = string;

/** Images are [B, C, H, W]. */
interface Nchw {
  B: number;
  C: number;
  H: number;
  W: number;
}

export type VaeLabKernels = {
  /** x [B, Cin, H, W] in bands `inBands`; y in bands `outBands`; residual (if given) banded like y. */
  conv2d: {
    inputs: { x: F32; w: F32; b: F32; residual?: F32 };
    outputs: 'y';
    params: { B: number; Cin: number; Cout: number; H: number; W: number; k: 1 | 3; upsample?: 0 | 1; inBands?: Bands; outBands?: Bands };
  };
  /** y = act(GroupNorm(x)) with x and y in bands `bands`; inPlace normalises x and reads it back as y; layout 'tokens' writes y as [B·H·W, C]. */
  groupNorm: {
    inputs: { x: F32; gamma: F32; beta: F32 };
    outputs: 'y';
    params: Nchw & { G: number; silu?: 0 | 1; inPlace?: 0 | 1; layout?: 'nchw' | 'tokens'; bands?: Bands; chunk?: number };
  };
  tokensToNchw: { inputs: { tokens: F32; residual: F32 }; outputs: 'out'; params: Nchw & { bands?: Bands } };
  singleHeadAttention: { inputs: { qkv: F32 }; outputs: 'o'; params: { B: number; N: number; C: number; queryChunk: number } };
  /** image [B, C, H, W] in bands `bands` → rgba [B, H, W] (u32 words, read back as their f32 bits). */
  toRgba: { inputs: { image: F32 }; outputs: 'rgba'; params: Nchw & { bands?: Bands } };
  latentPreview: { inputs: { latent: F32 }; outputs: 'rgba'; params: { B: number; h: number; w: number; up: number } };
};

const bands = (list: Bands | undefined, H: number): number[] => (list === undefined ? [H] : list.split(',').map(Number));

const nchw = (p: Nchw): Shape4 => [p.B, p.C, p.H, p.W];

export const VAE_RECORDERS: Recorders<VaeLabKernels> = {
  conv2d: (prog, _t, p, ctx) => {
    const up = p.upsample === 1;
    const out: Shape4 = [p.B, p.Cout, up ? 2 * p.H : p.H, up ? 2 * p.W : p.W];
    const cw = vops.uploadConv(ctx.alloc, ctx.host.w.data, ctx.host.b.data, p.Cout, p.Cin, p.k, 'conv');
    const outBands = bands(p.outBands, out[2]);
    const x = ctx.bandedInput('x', bands(p.inBands, p.H));
    const residual = ctx.host.residual ? ctx.bandedInput('residual', outBands) : undefined;
    vops.conv2d(prog, x, cw, ctx.bandedOutput('y', out, outBands), { upsample: up, residual });
  },
  groupNorm: (prog, t, p, ctx) => {
    const shape = nchw(p);
    const gn = vops.uploadGroupNorm(ctx.alloc, ctx.host.gamma.data, ctx.host.beta.data, p.G, 'gn');
    const scratch = new vops.GroupNormScratch(ctx.alloc);
    const opts = { silu: p.silu === 1, chunk: p.chunk };
    const rows = bands(p.bands, p.H);
    const x = ctx.bandedInput('x', rows);
    if (p.layout === 'tokens') return vops.groupNormToTokens(prog, x, gn, t.y, scratch, opts);
    if (p.inPlace === 1) {
      vops.groupNorm(prog, x, gn, null, scratch, opts);
      const y = ctx.bandedOutput('y', shape, rows);
      x.bands.forEach((b, i) => prog.copy(b.tensor, y.bands[i].tensor));
      return;
    }
    vops.groupNorm(prog, x, gn, ctx.bandedOutput('y', shape, rows), scratch, opts);
  },
  tokensToNchw: (prog, t, p, ctx) => {
    const rows = bands(p.bands, p.H);
    vops.tokensToNchw(prog, t.tokens, ctx.bandedInput('residual', rows), ctx.bandedOutput('out', nchw(p), rows));
  },
  singleHeadAttention: (prog, t, p, ctx) => {
    const s = { batch: p.B, tokens: p.N, channels: p.C, queryChunk: p.queryChunk };
    const scores = ctx.alloc.tensor([vops.attentionScoreValues(s)], 'scores');
    vops.singleHeadAttention(prog, t.qkv, scores, t.o, s);
  },
  toRgba: (prog, t, p, ctx) => {
    vops.toRgba(prog, ctx.bandedInput('image', bands(p.bands, p.H)), t.rgba);
  },
  latentPreview: (prog, t, p) => {
    vops.latentPreview(prog, t.latent, t.rgba, { batch: p.B, height: p.h, width: p.w, upscale: p.up }, LATENT_RGB_MATRIX, LATENT_RGB_BIAS);
  },
};
