// Linear layer: y[m, n] = epilogue(sum_k x[m, k] * w[k, n] + b[n]).
//
// Layouts: x row-major [M, K] (row stride xStride); w is the PyTorch [out, in] weight transposed
// once at load to [K, Np] (Np = N rounded up to 8, padding columns zero) so a row of w is read
// as vec4s; b [N]; y row-major with row stride yStride, columns from yOffset on.
// F16_WEIGHTS (override): w holds IEEE halves packed in pairs (unpack2x16float), half the
// memory of f32 storage on any adapter; arithmetic stays f32. w is bound as raw u32 words either
// way: 8 columns are two vec4<u32> of f32 bits, or one vec4<u32> of halves.
// Each invocation computes a 4-row x 8-column block held in eight vec4 accumulators; a workgroup
// of 8 x 8 invocations covers 32 rows x 64 columns. Rows past M are clamped on load and skipped
// on store; columns past N are computed from the zero padding and skipped on store.
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

fn store_row(m: u32, n0: u32, lo: vec4<f32>, hi: vec4<f32>) {
  epilogue(m, n0 + 0u, lo.x); epilogue(m, n0 + 1u, lo.y); epilogue(m, n0 + 2u, lo.z); epilogue(m, n0 + 3u, lo.w);
  epilogue(m, n0 + 4u, hi.x); epilogue(m, n0 + 5u, hi.y); epilogue(m, n0 + 6u, hi.z); epilogue(m, n0 + 7u, hi.w);
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n0 = gid.x * 8u;
  let m0 = gid.y * 4u;
  if (n0 >= p.Np || m0 >= p.M) { return; }
  let last = p.M - 1u;
  let x0 = min(m0 + 0u, last) * p.xStride;
  let x1 = min(m0 + 1u, last) * p.xStride;
  let x2 = min(m0 + 2u, last) * p.xStride;
  let x3 = min(m0 + 3u, last) * p.xStride;
  // w words per row and the first word of this invocation's 8 columns.
  let wRow = select(p.Np / 4u, p.Np / 8u, F16_WEIGHTS);
  var wi = select(n0 / 4u, n0 / 8u, F16_WEIGHTS);
  var a00 = vec4<f32>(0.0); var a01 = vec4<f32>(0.0);
  var a10 = vec4<f32>(0.0); var a11 = vec4<f32>(0.0);
  var a20 = vec4<f32>(0.0); var a21 = vec4<f32>(0.0);
  var a30 = vec4<f32>(0.0); var a31 = vec4<f32>(0.0);
  for (var k = 0u; k < p.K; k = k + 1u) {
    var w0: vec4<f32>;
    var w1: vec4<f32>;
    if (F16_WEIGHTS) {
      let h = w[wi];
      w0 = vec4<f32>(unpack2x16float(h.x), unpack2x16float(h.y));
      w1 = vec4<f32>(unpack2x16float(h.z), unpack2x16float(h.w));
    } else {
      w0 = bitcast<vec4<f32>>(w[wi]);
      w1 = bitcast<vec4<f32>>(w[wi + 1u]);
    }
    wi = wi + wRow;
    let v0 = x[x0 + k]; let v1 = x[x1 + k]; let v2 = x[x2 + k]; let v3 = x[x3 + k];
    a00 = fma(vec4<f32>(v0), w0, a00); a01 = fma(vec4<f32>(v0), w1, a01);
    a10 = fma(vec4<f32>(v1), w0, a10); a11 = fma(vec4<f32>(v1), w1, a11);
    a20 = fma(vec4<f32>(v2), w0, a20); a21 = fma(vec4<f32>(v2), w1, a21);
    a30 = fma(vec4<f32>(v3), w0, a30); a31 = fma(vec4<f32>(v3), w1, a31);
  }
  store_row(m0 + 0u, n0, a00, a01);
  store_row(m0 + 1u, n0, a10, a11);
  store_row(m0 + 2u, n0, a20, a21);
  store_row(m0 + 3u, n0, a30, a31);
}
