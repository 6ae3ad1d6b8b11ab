/**
 * Recording functions for the VAE decoder's kernels (one per WGSL file), over row-banded NCHW
 * activations (banded.ts). Each checks shapes, splits the work at band edges, gives the kernel's
 * Params by name and appends dispatches to a Program; each kernel's spec (shader and Params
 * layout) is exported beside its wrapper. Nothing here knows the decoder's structure; vae.ts
 * composes these.
 */
import conv2dWgsl from '../../shaders/conv2d.wgsl';
import groupNormWgsl from '../../shaders/group_norm.wgsl';
import latentPreviewWgsl from '../../shaders/latent_preview.wgsl';
import attentionWgsl from '../../shaders/single_head_attention.wgsl';
import toRgbaWgsl from '../../shaders/to_rgba.wgsl';
import tokensToNchwWgsl from '../../shaders/tokens_to_nchw.wgsl';
import { type Band, type BandedTensor, bandIndexOf, bandValues } from './banded.ts';
import { expect, grid1d, MAX_GROUPS } from './dispatch-shape.ts';
import { kernelSpec } from './kernel.ts';
import type { ParamsOf } from './params.ts';
import type { Program } from './program.ts';
import type { Allocator, Tensor } from './tensor.ts';

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

// ---------------------------------------------------------------- convolution

/** A conv layer as conv2d.wgsl reads it: weight [Cin·k·k, CoutPad] (tap-major), bias [Cout]. */
export interface ConvWeight {
  weight: Tensor;
  bias: Tensor;
  inChannels: number;
  outChannels: number;
  paddedOut: number;
  kernel: 1 | 3;
}

/** PyTorch [Cout, Cin, k, k] → [Cin·k·k, CoutPad], CoutPad = Cout rounded up to 8 (zero columns). */
export function packConvWeight(w: Float32Array, cout: number, cin: number, k: number): { data: Float32Array; paddedOut: number } {
  expect(w.length === cout * cin * k * k, `conv weight has ${w.length} values, expected ${cout}x${cin}x${k}x${k}`);
  const paddedOut = Math.ceil(cout / 8) * 8;
  const taps = cin * k * k;
  const data = new Float32Array(taps * paddedOut);
  for (let o = 0; o < cout; o++) for (let t = 0; t < taps; t++) data[t * paddedOut + o] = w[o * taps + t];
  return { data, paddedOut };
}

export function uploadConv(alloc: Allocator, w: Float32Array, b: Float32Array, cout: number, cin: number, k: 1 | 3, label: string): ConvWeight {
  expect(b.length === cout, `${label}: bias has ${b.length} values, expected ${cout}`);
  const { data, paddedOut } = packConvWeight(w, cout, cin, k);
  return {
    weight: alloc.upload(data, [cin * k * k, paddedOut], `${label}.weight`),
    bias: alloc.upload(b, [cout], `${label}.bias`),
    inChannels: cin, outChannels: cout, paddedOut, kernel: k,
  };
}

export const CONV2D_KERNEL = kernelSpec({
  name: 'conv2d.wgsl', source: conv2dWgsl,
  params: {
    Cin: 'u32', Cout: 'u32', CoutPad: 'u32',
    Hin: 'u32', Win: 'u32', Hout: 'u32', Wout: 'u32',
    quads: 'u32',
    outRow0: 'u32', outRows: 'u32',
    outBufRow0: 'u32', outBufRows: 'u32',
    resBufRow0: 'u32', resBufRows: 'u32',
    prevRow0: 'u32', prevRows: 'u32',
    curRow0: 'u32', curRows: 'u32',
    nextRow0: 'u32', nextRows: 'u32',
  },
});

export interface ConvOptions {
  /** out = residual + conv(x); the residual has the output's shape. */
  residual?: BandedTensor;
  /** Convolve the nearest-2x upsampled input (out is 2H x 2W). */
  upsample?: boolean;
}

/** Row ranges [from, to) of the output that each lie in one band of every listed tensor. */
function rowSegments(H: number, cuts: number[], maxRows: number): [number, number][] {
  const edges = [...new Set([0, H, ...cuts.filter((c) => c > 0 && c < H)])].sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    for (let r = edges[i]; r < edges[i + 1]; r += maxRows) out.push([r, Math.min(r + maxRows, edges[i + 1])]);
  }
  return out;
}

const bandStarts = (t: BandedTensor, scale = 1) => t.bands.map((b) => b.row0 * scale);

/** out = conv(x) + bias (+ residual), 3x3 pad 1 or 1x1, optionally on the nearest-2x upsampled x. */
export function conv2d(prog: Program, x: BandedTensor, cw: ConvWeight, out: BandedTensor, opts: ConvOptions = {}): void {
  const [B, Cin, Hin, Win] = x.shape;
  const s = opts.upsample ? 2 : 1;
  const [Hout, Wout] = [Hin * s, Win * s];
  expect(Cin === cw.inChannels, `conv2d: ${x.label} has ${Cin} channels, the weight expects ${cw.inChannels}`);
  expect(sameShape(out.shape, [B, cw.outChannels, Hout, Wout]), `conv2d: output ${out.label} is [${out.shape}], expected [${[B, cw.outChannels, Hout, Wout]}]`);
  const res = opts.residual;
  if (res) expect(sameShape(res.shape, out.shape), `conv2d: residual ${res.label} is [${res.shape}], expected [${out.shape}]`);
  expect(B <= MAX_GROUPS, `conv2d: batch ${B} exceeds one dispatch`);

  const quads = Math.ceil(Wout / 4);
  // Each output value is computed alone, so how the rows are split among dispatches changes no bit:
  // within the dispatch limit, and within the program's work per submission so that a piece can end mid-conv.
  const rowWork = 2 * B * Cin * cw.kernel ** 2 * cw.outChannels * Wout;
  const maxRows = Math.max(1, Math.min(Math.floor((MAX_GROUPS * 8) / quads), Math.floor(prog.workPerSubmit / rowWork)));
  const cuts = [...bandStarts(out), ...bandStarts(x, s), ...(res ? bandStarts(res) : [])];
  const spec = { ...CONV2D_KERNEL, constants: { KSIZE: cw.kernel, UPSAMPLE: opts.upsample ? 1 : 0, RESIDUAL: res ? 1 : 0 } };
  for (const [y0, y1] of rowSegments(Hout, cuts, maxRows)) {
    const ob = out.bands[bandIndexOf(out, y0)];
    const ci = bandIndexOf(x, Math.floor(y0 / s));
    const cur = x.bands[ci];
    const prev = x.bands[ci - 1] ?? cur;
    const next = x.bands[ci + 1] ?? cur;
    const rb: Band = res ? res.bands[bandIndexOf(res, y0)] : ob;
    const rows = y1 - y0;
    prog.dispatch(spec,
      {
        Cin, Cout: cw.outChannels, CoutPad: cw.paddedOut, Hin, Win, Hout, Wout, quads, outRow0: y0, outRows: rows,
        outBufRow0: ob.row0, outBufRows: ob.rows, resBufRow0: rb.row0, resBufRows: rb.rows,
        prevRow0: prev.row0, prevRows: prev.rows, curRow0: cur.row0, curRows: cur.rows, nextRow0: next.row0, nextRows: next.rows,
      },
      [prev.tensor, cur.tensor, next.tensor, cw.weight, cw.bias, res ? rb.tensor : cw.bias, ob.tensor],
      [Math.ceil((rows * quads) / 8), Math.ceil(cw.paddedOut / 64), B], rows * rowWork);
  }
}

// ---------------------------------------------------------------- group norm

/** shaders/group_norm.wgsl: entry points stats, finalize, apply and apply_in_place share its Params. */
export const GROUP_NORM_KERNEL = kernelSpec({
  name: 'group_norm.wgsl', source: groupNormWgsl,
  params: {
    C: 'u32', G: 'u32', H: 'u32', W: 'u32',
    rows: 'u32', row0: 'u32',
    chunk: 'u32', chunks: 'u32', slot0: 'u32', P: 'u32',
    count: 'u32', rowWidth: 'u32',
    eps: 'f32',
  },
});
type GroupNormParams = ParamsOf<typeof GROUP_NORM_KERNEL.params>;

export interface GroupNormWeight {
  gamma: Tensor;
  beta: Tensor;
  channels: number;
  groups: number;
}

export function uploadGroupNorm(alloc: Allocator, gamma: Float32Array, beta: Float32Array, groups: number, label: string): GroupNormWeight {
  const C = gamma.length;
  expect(beta.length === C, `${label}: bias has ${beta.length} values, weight ${C}`);
  expect(C % groups === 0, `${label}: ${C} channels do not split into ${groups} groups`);
  return { gamma: alloc.upload(gamma, [C], `${label}.weight`), beta: alloc.upload(beta, [C], `${label}.bias`), channels: C, groups };
}

/**
 * Work buffers of group_norm.wgsl, shared by every GroupNorm of a program (its dispatches run in
 * order). They only grow; a buffer outgrown stays alive for the dispatches already recorded on it.
 */
export class GroupNormScratch {
  private partialsBuf: Tensor | null = null;
  private affineBuf: Tensor | null = null;
  private readonly owned: Tensor[] = [];

  constructor(private readonly alloc: Allocator) {}

  private grow(current: Tensor | null, size: number, label: string): Tensor {
    if (current && current.size >= size) return current;
    const t = this.alloc.tensor([size], label);
    this.owned.push(t);
    return t;
  }

  partials(slots: number): Tensor {
    this.partialsBuf = this.grow(this.partialsBuf, slots * 4, 'group_norm.partials');
    return this.partialsBuf;
  }

  /** The per-(sample, channel) (scale, shift) pairs of the last finalize. */
  affine(pairs: number): Tensor {
    this.affineBuf = this.grow(this.affineBuf, pairs * 2, 'group_norm.affine');
    return this.affineBuf;
  }

  destroy(): void {
    for (const t of this.owned) this.alloc.free(t.buffer);
    this.owned.length = 0;
  }
}

export interface GroupNormOptions {
  silu?: boolean;
  eps?: number;
  /** Values one stats workgroup reduces (tests lower it to exercise the merging). */
  chunk?: number;
}

const GN_CHUNK = 4096;

/** Normalisation statistics of x over all its bands → (scale, shift) per (sample, channel) in scratch. */
function groupNormStatistics(prog: Program, x: BandedTensor, gn: GroupNormWeight, scratch: GroupNormScratch, opts: GroupNormOptions): Tensor {
  const [B, C, H, W] = x.shape;
  const G = gn.groups;
  expect(C === gn.channels, `groupNorm: ${x.label} has ${C} channels, the norm ${gn.channels}`);
  expect(B * G <= MAX_GROUPS, 'groupNorm: batch x groups exceed one dispatch');
  const chunk = opts.chunk ?? GN_CHUNK;
  const chunksPer = x.bands.map((b) => Math.ceil(((C / G) * b.rows * W) / chunk));
  const P = chunksPer.reduce((a, b) => a + b, 0);
  const partials = scratch.partials(B * G * P);
  const affine = scratch.affine(B * C);
  const eps = opts.eps ?? 1e-6;
  const params = (rows: number, row0: number, chunks: number, slot0: number): GroupNormParams => ({ C, G, H, W, rows, row0, chunk, chunks, slot0, P, count: 0, rowWidth: 0, eps });
  let slot0 = 0;
  x.bands.forEach((b, i) => {
    expect(chunksPer[i] <= MAX_GROUPS, `groupNorm: band ${i} of ${x.label} needs ${chunksPer[i]} chunks`);
    prog.dispatch({ ...GROUP_NORM_KERNEL, entryPoint: 'stats' }, params(b.rows, b.row0, chunksPer[i], slot0), [b.tensor, partials], [chunksPer[i], B * G]);
    slot0 += chunksPer[i];
  });
  prog.dispatch({ ...GROUP_NORM_KERNEL, entryPoint: 'finalize' }, params(0, 0, 0, 0), [partials, gn.gamma, gn.beta, affine], [B * G]);
  return affine;
}

function applyDispatch(prog: Program, x: BandedTensor, b: Band, entryPoint: string, constants: Record<string, number>, buffers: Tensor[]): void {
  const [, C, H, W] = x.shape;
  const count = bandValues(x, b);
  const g = grid1d(count, 256);
  prog.dispatch({ ...GROUP_NORM_KERNEL, entryPoint, constants },
    { C, G: 1, H, W, rows: b.rows, row0: b.row0, chunk: 0, chunks: 0, slot0: 0, P: 0, count, rowWidth: g.rowWidth, eps: 0 }, buffers, g.groups);
}

/** y = act(GroupNorm(x)), band by band; y = null normalises x in place. y has x's banding. */
export function groupNorm(prog: Program, x: BandedTensor, gn: GroupNormWeight, y: BandedTensor | null, scratch: GroupNormScratch, opts: GroupNormOptions = {}): void {
  if (y) {
    expect(sameShape(y.shape, x.shape), `groupNorm: output ${y.label} is [${y.shape}], expected [${x.shape}]`);
    expect(y.bands.length === x.bands.length && y.bands.every((b, i) => b.row0 === x.bands[i].row0 && b.rows === x.bands[i].rows), `groupNorm: ${y.label} is banded unlike ${x.label}`);
  }
  const affine = groupNormStatistics(prog, x, gn, scratch, opts);
  const constants = { SILU: opts.silu ? 1 : 0, TOKENS: 0 };
  x.bands.forEach((b, i) => {
    if (y) applyDispatch(prog, x, b, 'apply', constants, [b.tensor, affine, y.bands[i].tensor]);
    else applyDispatch(prog, x, b, 'apply_in_place', constants, [b.tensor, affine]);
  });
}

/** tokens[B·H·W, C] = act(GroupNorm(x)) in token-major order (token = row · W + col). */
export function groupNormToTokens(prog: Program, x: BandedTensor, gn: GroupNormWeight, tokens: Tensor, scratch: GroupNormScratch, opts: GroupNormOptions = {}): void {
  const [B, C, H, W] = x.shape;
  expect(tokens.size >= B * H * W * C, `groupNormToTokens: ${tokens.label} holds ${tokens.size} values, needs ${B * H * W}x${C}`);
  const affine = groupNormStatistics(prog, x, gn, scratch, opts);
  for (const b of x.bands) applyDispatch(prog, x, b, 'apply', { SILU: opts.silu ? 1 : 0, TOKENS: 1 }, [b.tensor, affine, tokens]);
}

export const TOKENS_TO_NCHW_KERNEL = kernelSpec({
  name: 'tokens_to_nchw.wgsl', source: tokensToNchwWgsl,
  params: { C: 'u32', H: 'u32', W: 'u32', rows: 'u32', row0: 'u32', count: 'u32', rowWidth: 'u32' },
});

/** out = tokens (token-major [B·H·W, C]) laid out as NCHW, plus residual; out and residual banded alike. */
export function tokensToNchw(prog: Program, tokens: Tensor, residual: BandedTensor, out: BandedTensor): void {
  const [B, C, H, W] = out.shape;
  expect(sameShape(residual.shape, out.shape), `tokensToNchw: residual [${residual.shape}] vs output [${out.shape}]`);
  expect(residual.bands.length === out.bands.length && residual.bands.every((b, i) => b.rows === out.bands[i].rows), 'tokensToNchw: residual and output are banded differently');
  expect(tokens.size >= B * H * W * C, `tokensToNchw: ${tokens.label} is too small`);
  out.bands.forEach((b, i) => {
    const count = bandValues(out, b);
    const g = grid1d(count, 256);
    prog.dispatch(TOKENS_TO_NCHW_KERNEL, { C, H, W, rows: b.rows, row0: b.row0, count, rowWidth: g.rowWidth },
      [tokens, residual.bands[i].tensor, b.tensor], g.groups);
  });
}

// ---------------------------------------------------------------- attention

/** shaders/single_head_attention.wgsl: entry points scores, softmax_rows and weighted_sum share its Params. */
export const SINGLE_HEAD_ATTENTION_KERNEL = kernelSpec({
  name: 'single_head_attention.wgsl', source: attentionWgsl,
  params: {
    N: 'u32', C: 'u32', rowStride: 'u32',
    qOffset: 'u32', kOffset: 'u32', vOffset: 'u32',
    rowBase: 'u32', qRow0: 'u32', qRows: 'u32',
    scale: 'f32',
  },
});

export interface SingleHeadAttentionShape {
  batch: number;
  tokens: number;
  channels: number;
  /** Queries per score pass (the score buffer holds queryChunk x tokens values). */
  queryChunk: number;
}

/** Values the score buffer needs for this shape. */
export const attentionScoreValues = (s: SingleHeadAttentionShape): number => s.queryChunk * s.tokens;

/** o[B·N, C] = softmax(q kᵀ / √C) v per sample, q | k | v read from qkv [B·N, 3C]; scores is scratch. */
export function singleHeadAttention(prog: Program, qkv: Tensor, scores: Tensor, o: Tensor, s: SingleHeadAttentionShape): void {
  const { batch: B, tokens: N, channels: C } = s;
  expect(s.queryChunk >= 1, 'singleHeadAttention: empty query chunk');
  // Queries are independent rows (scores, softmax, weighted sum), so smaller chunks change no bit;
  // a chunk's two products stay within the program's work per submission.
  const queryWork = 2 * N * C;
  const chunk = Math.max(1, Math.min(s.queryChunk, N, Math.floor(prog.workPerSubmit / queryWork)));
  expect(qkv.size >= B * N * 3 * C, `singleHeadAttention: ${qkv.label} is too small for ${B}x${N}x${3 * C}`);
  expect(o.size >= B * N * C, `singleHeadAttention: ${o.label} is too small`);
  expect(scores.size >= chunk * N, `singleHeadAttention: ${scores.label} holds ${scores.size} values, needs ${chunk}x${N}`);
  const spec = (entryPoint: string) => ({ ...SINGLE_HEAD_ATTENTION_KERNEL, entryPoint });
  for (let b = 0; b < B; b++) {
    for (let q0 = 0; q0 < N; q0 += chunk) {
      const rows = Math.min(chunk, N - q0);
      const params = { N, C, rowStride: 3 * C, qOffset: 0, kOffset: C, vOffset: 2 * C, rowBase: b * N, qRow0: q0, qRows: rows, scale: 1 / Math.sqrt(C) };
      prog.dispatch(spec('scores'), params, [qkv, scores], [Math.ceil(N / 32), Math.ceil(rows / 32)], rows * queryWork);
      prog.dispatch(spec('softmax_rows'), params, [scores], [rows]);
      prog.dispatch(spec('weighted_sum'), params, [scores, qkv, o], [Math.ceil(C / 32), Math.ceil(rows / 32)], rows * queryWork);
    }
  }
}

// ---------------------------------------------------------------- images

export const TO_RGBA_KERNEL = kernelSpec({
  name: 'to_rgba.wgsl', source: toRgbaWgsl,
  params: { C: 'u32', H: 'u32', W: 'u32', rows: 'u32', row0: 'u32', count: 'u32', rowWidth: 'u32' },
});

/** rgba[B, H, W] (u32, R in the low byte) = round(255 · clamp(image / 2 + 0.5, 0, 1)), alpha 255. */
export function toRgba(prog: Program, image: BandedTensor, rgba: Tensor): void {
  const [B, C, H, W] = image.shape;
  expect(C >= 3, `toRgba: ${image.label} has ${C} channels, needs 3`);
  expect(rgba.size >= B * H * W, `toRgba: ${rgba.label} is too small`);
  for (const b of image.bands) {
    const count = B * b.rows * W;
    const g = grid1d(count, 256);
    prog.dispatch(TO_RGBA_KERNEL, { C, H, W, rows: b.rows, row0: b.row0, count, rowWidth: g.rowWidth }, [b.tensor, rgba], g.groups);
  }
}

export const LATENT_PREVIEW_KERNEL = kernelSpec({
  name: 'latent_preview.wgsl', source: latentPreviewWgsl,
  params: {
    h: 'u32', w: 'u32', up: 'u32', count: 'u32', rowWidth: 'u32', pad0: 'u32', pad1: 'u32', pad2: 'u32',
    m0: 'vec4<f32>', m1: 'vec4<f32>', m2: 'vec4<f32>', m3: 'vec4<f32>',
    bias: 'vec4<f32>',
  },
});

export interface LatentPreviewShape {
  batch: number;
  height: number;
  width: number;
  /** Integer nearest-neighbour upscale of the output (1: latent size). */
  upscale: number;
}

/** rgba[B, h·up, w·up] from latents [B, 4, h, w] through a 4x3 matrix (rows: latent channels) + bias. */
export function latentPreview(prog: Program, latent: Tensor, rgba: Tensor, s: LatentPreviewShape, matrix: readonly (readonly number[])[], bias: readonly number[]): void {
  const { batch: B, height: h, width: w, upscale: up } = s;
  expect(matrix.length === 4 && matrix.every((r) => r.length === 3) && bias.length === 3, 'latentPreview: needs a 4x3 matrix and 3 biases');
  expect(Number.isInteger(up) && up >= 1, `latentPreview: upscale must be a positive integer, got ${up}`);
  expect(latent.size >= B * 4 * h * w, `latentPreview: ${latent.label} is too small`);
  const count = B * h * up * w * up;
  expect(rgba.size >= count, `latentPreview: ${rgba.label} is too small`);
  const g = grid1d(count, 256);
  const row = (r: readonly number[]): [number, number, number, number] => [r[0], r[1], r[2], 0];
  prog.dispatch(LATENT_PREVIEW_KERNEL,
    { h, w, up, count, rowWidth: g.rowWidth, pad0: 0, pad1: 0, pad2: 0, m0: row(matrix[0]), m1: row(matrix[1]), m2: row(matrix[2]), m3: row(matrix[3]), bias: row(bias) },
    [latent, rgba], g.groups);
}
