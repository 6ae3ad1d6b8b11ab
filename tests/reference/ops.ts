/**
 * Plain CPU versions of every kernel in shaders/, in float64 accumulation: what each kernel
 * must compute, written the obvious way. Used by the kernel tests and the benchmarks.
 */

/** y[M, N] = act(x[M, K] · w[N, K]ᵀ + b), w in PyTorch's [out, in] layout. */
export function linear(x: Float32Array, w: Float32Array, b: Float32Array, M: number, N: number, K: number): Float64Array {
  const y = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = b[n];
      for (let k = 0; k < K; k++) s += x[m * K + k] * w[n * K + k];
      y[m * N + n] = s;
    }
  }
  return y;
}

export const geluTanh = (v: number): number => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
export const silu = (v: number): number => v / (1 + Math.exp(-v));

/** softmax(q kᵀ · scale) v per (batch, head), from fused qkv rows [B*T, 3*H*hd]. */
export function attention(qkv: Float32Array, B: number, T: number, H: number, hd: number): Float64Array {
  const D = H * hd;
  const o = new Float64Array(B * T * D);
  const scale = 1 / Math.sqrt(hd);
  const s = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        let max = -Infinity;
        for (let j = 0; j < T; j++) {
          let dot = 0;
          for (let d = 0; d < hd; d++) dot += qkv[(b * T + i) * 3 * D + h * hd + d] * qkv[(b * T + j) * 3 * D + D + h * hd + d];
          s[j] = dot * scale;
          max = Math.max(max, s[j]);
        }
        let sum = 0;
        for (let j = 0; j < T; j++) { s[j] = Math.exp(s[j] - max); sum += s[j]; }
        for (let d = 0; d < hd; d++) {
          let acc = 0;
          for (let j = 0; j < T; j++) acc += s[j] * qkv[(b * T + j) * 3 * D + 2 * D + h * hd + d];
          o[(b * T + i) * D + h * hd + d] = acc / sum;
        }
      }
    }
  }
  return o;
}

/** LayerNorm (no affine) then x·(1 + scale) + shift, row r of sample r / T. */
export function layerNormModulate(x: Float32Array, mod: Float32Array, rows: number, D: number, T: number, stride: number, shiftOff: number, scaleOff: number, eps = 1e-6): Float64Array {
  const y = new Float64Array(rows * D);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let d = 0; d < D; d++) mean += x[r * D + d];
    mean /= D;
    let v = 0;
    for (let d = 0; d < D; d++) v += (x[r * D + d] - mean) ** 2;
    const rstd = 1 / Math.sqrt(v / D + eps);
    const m = Math.floor(r / T) * stride;
    for (let d = 0; d < D; d++) y[r * D + d] = (x[r * D + d] - mean) * rstd * (1 + mod[m + scaleOff + d]) + mod[m + shiftOff + d];
  }
  return y;
}

/** [cos(t f), sin(t f)] with f_i = exp(-ln(10000) i / half), in float64. */
export function timestepEmbedding(t: Float32Array, dim: number): Float64Array {
  const half = dim / 2;
  const out = new Float64Array(t.length * dim);
  t.forEach((tn, n) => {
    for (let i = 0; i < half; i++) {
      const arg = tn * Math.exp((-Math.log(10000) * i) / half);
      out[n * dim + i] = Math.cos(arg);
      out[n * dim + half + i] = Math.sin(arg);
    }
  });
  return out;
}

/** Stride-p conv over NCHW x with weight [D, C, p, p], plus bias and pos [T, D]; tokens [N*T, D]. */
export function patchEmbed(x: Float32Array, w: Float32Array, b: Float32Array, pos: Float32Array, N: number, C: number, H: number, W: number, p: number, D: number): Float64Array {
  const gw = W / p;
  const T = (H / p) * gw;
  const out = new Float64Array(N * T * D);
  for (let n = 0; n < N; n++) for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) {
    let s = b[d] + pos[t * D + d];
    const gy = Math.floor(t / gw);
    const gx = t % gw;
    for (let c = 0; c < C; c++) for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) {
      s += w[((d * C + c) * p + i) * p + j] * x[((n * C + c) * H + gy * p + i) * W + gx * p + j];
    }
    out[(n * T + t) * D + d] = s;
  }
  return out;
}

/** DiT's unpatchify: tokens [N, T, p*p*C] → [N, C, H, W] (einsum nhwpqc → nchpwq). */
export function unpatchify(tokens: Float32Array, N: number, C: number, H: number, W: number, p: number): Float64Array {
  const out = new Float64Array(N * C * H * W);
  const gh = H / p;
  const gw = W / p;
  for (let n = 0; n < N; n++) for (let gy = 0; gy < gh; gy++) for (let gx = 0; gx < gw; gx++) for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) for (let c = 0; c < C; c++) {
    out[((n * C + c) * H + gy * p + i) * W + gx * p + j] = tokens[((n * gh * gw) + gy * gw + gx) * p * p * C + (i * p + j) * C + c];
  }
  return out;
}

/** forward_with_cfg's combine over [cond | uncond] halves. */
export function cfgCombine(out: Float32Array, B: number, C: number, HW: number, guided: number, scale: number): Float64Array {
  const res = Float64Array.from(out);
  for (let b = 0; b < B; b++) for (let c = 0; c < guided; c++) for (let k = 0; k < HW; k++) {
    const ci = (b * C + c) * HW + k;
    const ui = ((b + B) * C + c) * HW + k;
    const e = out[ui] + scale * (out[ci] - out[ui]);
    res[ci] = e;
    res[ui] = e;
  }
  return res;
}
