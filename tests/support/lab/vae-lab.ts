/**
 * Lab recorders (see lab.ts) for the VAE kernels. Row bands are given as a comma-separated list
 * of band heights ("3,1,4"); a missing list means one band (the whole tensor).
 */
import type { Shape4 } from '../gpu/banded.ts';
import * as vops from '../gpu/vae-ops.ts';
import { LATENT_RGB_BIAS, LATENT_RGB_MATRIX } from '../model/latent-preview.ts';
import type { Recorder } from './lab.ts';

type P = Record<string, number | string>;

const num = (p: P, k: string): number => {
  const v = p[k];
  if (typeof v !== 'number') throw new Error(`kernel param "${k}" missing`);
  return v;
};

const bands = (p: P, k: string, H: number): number[] => {
  const v = p[k];
  if (v === undefined) return [H];
  return String(v).split(',').map(Number);
};

const shape4 = (p: P, C: string, H: string, W: string): Shape4 => [num(p, 'B'), num(p, C), num(p, H), num(p, W)];

export const VAE_RECORDERS: Record<string, Recorder> = {
  /** x [B, Cin, H, W] in bands `inBands`; y in bands `outBands`; residual (if given) banded like y. */
  conv2d: (prog, _t, p, ctx) => {
    const k = num(p, 'k') as 1 | 3;
    const up = p.upsample === 1;
    const [B, Cin, H, W] = shape4(p, 'Cin', 'H', 'W');
    const Cout = num(p, 'Cout');
    const out: Shape4 = [B, Cout, up ? 2 * H : H, up ? 2 * W : W];
    const cw = vops.uploadConv(ctx.alloc, ctx.host.w.data as Float32Array, ctx.host.b.data as Float32Array, Cout, Cin, k, 'conv');
    const outBands = bands(p, 'outBands', out[2]);
    const x = ctx.bandedInput('x', bands(p, 'inBands', H));
    const residual = ctx.host.residual ? ctx.bandedInput('residual', outBands) : undefined;
    vops.conv2d(prog, x, cw, ctx.bandedOutput('y', out, outBands), { upsample: up, residual });
  },
  /** y = act(GroupNorm(x)) with x and y in bands `bands`; inPlace normalises x and reads it back as y. */
  groupNorm: (prog, t, p, ctx) => {
    const shape = shape4(p, 'C', 'H', 'W');
    const gn = vops.uploadGroupNorm(ctx.alloc, ctx.host.gamma.data as Float32Array, ctx.host.beta.data as Float32Array, num(p, 'G'), 'gn');
    const scratch = new vops.GroupNormScratch(ctx.alloc);
    const opts = { silu: p.silu === 1, chunk: p.chunk as number | undefined };
    const rows = bands(p, 'bands', shape[2]);
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
    const shape = shape4(p, 'C', 'H', 'W');
    const rows = bands(p, 'bands', shape[2]);
    vops.tokensToNchw(prog, t.tokens, ctx.bandedInput('residual', rows), ctx.bandedOutput('out', shape, rows));
  },
  singleHeadAttention: (prog, t, p, ctx) => {
    const s = { batch: num(p, 'B'), tokens: num(p, 'N'), channels: num(p, 'C'), queryChunk: num(p, 'queryChunk') };
    const scores = ctx.alloc.tensor([vops.attentionScoreValues(s)], 'scores');
    vops.singleHeadAttention(prog, t.qkv, scores, t.o, s);
  },
  /** image [B, C, H, W] in bands `bands` → rgba [B, H, W] (u32 words, read back as their f32 bits). */
  toRgba: (prog, t, p, ctx) => {
    const shape = shape4(p, 'C', 'H', 'W');
    vops.toRgba(prog, ctx.bandedInput('image', bands(p, 'bands', shape[2])), t.rgba);
  },
  latentPreview: (prog, t, p) => {
    vops.latentPreview(prog, t.latent, t.rgba, { batch: num(p, 'B'), height: num(p, 'h'), width: num(p, 'w'), upscale: num(p, 'up') }, LATENT_RGB_MATRIX, LATENT_RGB_BIAS);
  },
};
