/**
 * Plain CPU versions of the VAE kernels (shaders/conv2d.wgsl, group_norm.wgsl, ...), in float64
 * accumulation over whole NCHW tensors: what each kernel must compute, written the obvious way.
 */
export type Arr = ArrayLike<number>;

/** PyTorch Conv2d (cross-correlation), k = 3 with zero padding 1 or k = 1; w [Cout, Cin, k, k]. */
export function conv2d(x: Arr, w: Arr, b: Arr, B: number, Cin: number, H: number, W: number, Cout: number, k: 1 | 3): Float64Array {
  const out = new Float64Array(B * Cout * H * W);
  const pad = (k - 1) / 2;
  const HW = H * W;
  for (let n = 0; n < B; n++) for (let o = 0; o < Cout; o++) {
    const acc = out.subarray((n * Cout + o) * HW, (n * Cout + o + 1) * HW);
    acc.fill(b[o]);
    for (let i = 0; i < Cin; i++) for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) {
      const wv = w[((o * Cin + i) * k + ky) * k + kx];
      const x0 = Math.max(0, pad - kx);
      const x1 = Math.min(W, W + pad - kx);
      for (let y = Math.max(0, pad - ky); y < Math.min(H, H + pad - ky); y++) {
        const src = (n * Cin + i) * HW + (y + ky - pad) * W + kx - pad;
        const dst = y * W;
        for (let xx = x0; xx < x1; xx++) acc[dst + xx] += wv * x[src + xx];
      }
    }
  }
  return out;
}

/** out[., ., y, x] = in[., ., y / 2, x / 2]. */
export function upsampleNearest2x(x: Arr, B: number, C: number, H: number, W: number): Float64Array {
  const out = new Float64Array(B * C * 4 * H * W);
  for (let nc = 0; nc < B * C; nc++) for (let y = 0; y < 2 * H; y++) for (let xx = 0; xx < 2 * W; xx++) {
    out[(nc * 2 * H + y) * 2 * W + xx] = x[(nc * H + (y >> 1)) * W + (xx >> 1)];
  }
  return out;
}

export const silu = (v: number): number => v / (1 + Math.exp(-v));

/** GroupNorm over groups of C/G consecutive channels per sample (biased variance), then affine, optional SiLU. */
export function groupNorm(x: Arr, gamma: Arr, beta: Arr, B: number, C: number, H: number, W: number, G: number, opts: { silu?: boolean; eps?: number } = {}): Float64Array {
  const eps = opts.eps ?? 1e-6;
  const out = new Float64Array(B * C * H * W);
  const Cg = C / G;
  const HW = H * W;
  for (let n = 0; n < B; n++) for (let g = 0; g < G; g++) {
    const base = (n * C + g * Cg) * HW;
    const count = Cg * HW;
    let mean = 0;
    for (let i = 0; i < count; i++) mean += x[base + i];
    mean /= count;
    let v = 0;
    for (let i = 0; i < count; i++) v += (x[base + i] - mean) ** 2;
    const rstd = 1 / Math.sqrt(v / count + eps);
    for (let i = 0; i < count; i++) {
      const c = g * Cg + Math.floor(i / HW);
      const y = (x[base + i] - mean) * rstd * gamma[c] + beta[c];
      out[base + i] = opts.silu ? silu(y) : y;
    }
  }
  return out;
}

/** [B, C, H, W] → token-major [B·H·W, C], token = row · W + col. */
export function nchwToTokens(x: Arr, B: number, C: number, H: number, W: number): Float64Array {
  const out = new Float64Array(B * C * H * W);
  for (let n = 0; n < B; n++) for (let c = 0; c < C; c++) for (let t = 0; t < H * W; t++) out[(n * H * W + t) * C + c] = x[(n * C + c) * H * W + t];
  return out;
}

/** Token-major [B·H·W, C] → [B, C, H, W]. */
export function tokensToNchw(tokens: Arr, B: number, C: number, H: number, W: number): Float64Array {
  const out = new Float64Array(B * C * H * W);
  for (let n = 0; n < B; n++) for (let c = 0; c < C; c++) for (let t = 0; t < H * W; t++) out[(n * C + c) * H * W + t] = tokens[(n * H * W + t) * C + c];
  return out;
}

/** o[B·N, C] = softmax(q kᵀ / √C) v per sample, from qkv rows [B·N, 3C] (one head of dim C). */
export function singleHeadAttention(qkv: Arr, B: number, N: number, C: number): Float64Array {
  const o = new Float64Array(B * N * C);
  const scale = 1 / Math.sqrt(C);
  const s = new Float64Array(N);
  const row = (b: number, t: number) => (b * N + t) * 3 * C;
  for (let b = 0; b < B; b++) for (let i = 0; i < N; i++) {
    let max = -Infinity;
    for (let j = 0; j < N; j++) {
      let dot = 0;
      for (let c = 0; c < C; c++) dot += qkv[row(b, i) + c] * qkv[row(b, j) + C + c];
      s[j] = dot * scale;
      max = Math.max(max, s[j]);
    }
    let sum = 0;
    for (let j = 0; j < N; j++) { s[j] = Math.exp(s[j] - max); sum += s[j]; }
    for (let j = 0; j < N; j++) {
      const p = s[j] / sum;
      for (let c = 0; c < C; c++) o[(b * N + i) * C + c] += p * qkv[row(b, j) + 2 * C + c];
    }
  }
  return o;
}

/** y[M, N] = x[M, K] · w[N, K]ᵀ + b. */
export function linear(x: Arr, w: Arr, b: Arr, M: number, N: number, K: number): Float64Array {
  const y = new Float64Array(M * N);
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
    let s = b[n];
    for (let k = 0; k < K; k++) s += x[m * K + k] * w[n * K + k];
    y[m * N + n] = s;
  }
  return y;
}

/** The byte of one channel: round(255 · clamp(v / 2 + 0.5, 0, 1)). */
export const toByte = (v: number): number => Math.round(255 * Math.min(1, Math.max(0, v / 2 + 0.5)));

/** RGBA8 pixels [B, H, W] as u32 (R in the low byte, alpha 255) from an image [B, C ≥ 3, H, W]. */
export function toRgba(image: Arr, B: number, C: number, H: number, W: number): Uint32Array {
  const out = new Uint32Array(B * H * W);
  const plane = H * W;
  for (let n = 0; n < B; n++) for (let i = 0; i < plane; i++) {
    const at = (c: number) => toByte(image[(n * C + c) * plane + i]);
    out[n * plane + i] = (at(0) | (at(1) << 8) | (at(2) << 16) | (255 << 24)) >>> 0;
  }
  return out;
}

/** Linear latent → RGB preview, nearest-upscaled by `up`: [B, 4, h, w] → RGBA8 [B, h·up, w·up]. */
export function latentPreview(latent: Arr, B: number, h: number, w: number, up: number, m: readonly (readonly number[])[], bias: readonly number[]): Uint32Array {
  const out = new Uint32Array(B * h * up * w * up);
  const plane = h * w;
  for (let n = 0; n < B; n++) for (let y = 0; y < h * up; y++) for (let x = 0; x < w * up; x++) {
    const src = n * 4 * plane + Math.floor(y / up) * w + Math.floor(x / up);
    const rgb = [0, 1, 2].map((k) => bias[k] + [0, 1, 2, 3].reduce((s, c) => s + latent[src + c * plane] * m[c][k], 0));
    out[(n * h * up + y) * w * up + x] = (toByte(rgb[0]) | (toByte(rgb[1]) << 8) | (toByte(rgb[2]) << 16) | (255 << 24)) >>> 0;
  }
  return out;
}
