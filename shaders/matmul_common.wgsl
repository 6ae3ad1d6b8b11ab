// Linear layer, shared by the matmul kernels (prepended to matmul.wgsl / matmul_shared.wgsl,
// which hold only their entry points): y[m, n] = epilogue(sum_k x[m, k] * w[k, n] + b[n]).
//
// Layouts: x row-major [M, K] (row stride xStride); w is the PyTorch [out, in] weight transposed
// once at load to [K, Np] (Np = N rounded up to 8, padding columns zero) so a row of w is read
// as vec4s; b [N]; y row-major with row stride yStride, columns from yOffset on.
// F16_WEIGHTS (override): w holds IEEE halves packed in pairs (unpack2x16float), half the
// memory of f32 storage on any adapter; arithmetic stays f32. w is bound as raw u32 words either
// way: 8 columns are two vec4<u32> of f32 bits, or one vec4<u32> of halves.
//
// EPILOGUE (override): 0 none, 1 GELU (tanh approximation), 2 SiLU,
//   3 gated residual y = y + aux[g] * v (adaLN-Zero's x + gate * f(x); y is read and written),
//   4 add table y = v + aux[g] (e.g. a position table).
//   g = ((m / auxRowDiv) % auxRowMod) * auxStride + auxOffset + n.

struct Params {
  M: u32, N: u32, K: u32, Np: u32,
  xStride: u32, yStride: u32,
  auxStride: u32, auxOffset: u32, auxRowDiv: u32, auxRowMod: u32,
  yOffset: u32,
}

override EPILOGUE: u32 = 0u;
override F16_WEIGHTS: bool = false;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read> aux: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

fn gelu_tanh(v: f32) -> f32 {
  // 0.5 v (1 + tanh(sqrt(2/pi) (v + 0.044715 v^3))); the argument is clamped because tanh of a
  // large value can overflow to NaN in some implementations (tanh(±10) is ±1 in f32 anyway).
  let u = clamp(0.7978845608028654 * (v + 0.044715 * v * v * v), -10.0, 10.0);
  return 0.5 * v * (1.0 + tanh(u));
}

fn epilogue(m: u32, n: u32, acc: f32) {
  if (m >= p.M || n >= p.N) { return; }
  let v = acc + b[n];
  let yi = m * p.yStride + p.yOffset + n;
  let g = ((m / p.auxRowDiv) % p.auxRowMod) * p.auxStride + p.auxOffset + n;
  switch EPILOGUE {
    case 1u: { y[yi] = gelu_tanh(v); }
    case 2u: { y[yi] = v / (1.0 + exp(-v)); }
    case 3u: { y[yi] = y[yi] + aux[g] * v; }
    case 4u: { y[yi] = v + aux[g]; }
    default: { y[yi] = v; }
  }
}

// The 8 columns from n0 on of row m, as two vec4s.
fn store_row(m: u32, n0: u32, lo: vec4<f32>, hi: vec4<f32>) {
  store4(m, n0, lo);
  store4(m, n0 + 4u, hi);
}

fn store4(m: u32, n0: u32, v: vec4<f32>) {
  epilogue(m, n0 + 0u, v.x); epilogue(m, n0 + 1u, v.y); epilogue(m, n0 + 2u, v.z); epilogue(m, n0 + 3u, v.w);
}

// Eight weight columns of one row of w, from word wi on: two vec4 words of f32 bits, or one of
// packed halves.
struct Cols8 { lo: vec4<f32>, hi: vec4<f32> }

fn weights8(wi: u32) -> Cols8 {
  if (F16_WEIGHTS) {
    let h = w[wi];
    return Cols8(vec4<f32>(unpack2x16float(h.x), unpack2x16float(h.y)), vec4<f32>(unpack2x16float(h.z), unpack2x16float(h.w)));
  }
  return Cols8(bitcast<vec4<f32>>(w[wi]), bitcast<vec4<f32>>(w[wi + 1u]));
}
