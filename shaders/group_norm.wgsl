// GroupNorm (PyTorch's nn.GroupNorm with affine), optionally followed by SiLU, over NCHW activations
// that may be split into row bands (see conv2d.wgsl):
//   y[n, c, h, w] = act((x - mean[n, g]) / sqrt(var[n, g] + eps) * gamma[c] + beta[c]),  g = c / (C / G)
// mean and biased variance over the (C/G)·H·W values of group g of sample n, whichever bands hold them.
//
// Three entry points, recorded in this order:
//   stats     per band: a workgroup reduces one chunk (`chunk` consecutive values; a group's values
//             are contiguous inside a band buffer [B, C, rows, W]) to (count, mean, M2), reading it
//             twice (mean first, then squared deviations). partials: [B*G, P] vec4, P = chunks of a
//             group over all bands; this band's chunks go to slots slot0 .. slot0 + chunks.
//             Dispatch (chunks, B*G).
//   finalize  one workgroup per (n, g) merges its P partials (Chan et al.'s pairwise update, so no
//             sum-of-squares cancellation) and folds the normalisation and the affine into
//             affine[n, c] = (rstd * gamma[c], beta[c] - mean * rstd * gamma[c]). Dispatch (B*G).
//   apply     per band: y = act(x * scale + shift); y is a band buffer like x (`apply`, or
//   apply_in_place on one buffer) or, with TOKENS, the token-major rows [B, H*W, C] of the whole
//   image (the attention's input layout; token = row * W + col). 2-D dispatch over the band's
//   values: i = gid.x + gid.y * rowWidth.
//
// Bindings: stats 1 x, 2 partials; finalize 1 partials, 2 gamma, 3 beta, 4 affine;
// apply 1 x, 2 affine, 3 y; apply_in_place 1 y, 2 affine.

override SILU: bool = false;
override TOKENS: bool = false;

struct Params {
  C: u32, G: u32, H: u32, W: u32,
  rows: u32, row0: u32,                  // the band: image rows row0 .. row0 + rows
  chunk: u32, chunks: u32, slot0: u32, P: u32,
  count: u32, rowWidth: u32,             // apply: values in the band, 2-D grid width
  eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;

const WG: u32 = 64u;

// ---------------------------------------------------------------- stats

@group(0) @binding(1) var<storage, read> statsX: array<f32>;
@group(0) @binding(2) var<storage, read_write> statsOut: array<vec4<f32>>;

var<workgroup> red: array<f32, WG>;

fn workgroup_sum(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(64, 1, 1)
fn stats(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let ng = wid.y;
  let n = ng / p.G;
  let g = ng % p.G;
  let Cg = p.C / p.G;
  let groupValues = Cg * p.rows * p.W;
  let begin = wid.x * p.chunk;
  let end = min(begin + p.chunk, groupValues);
  let base = (n * p.C + g * Cg) * p.rows * p.W;
  var s = 0.0;
  for (var i = begin + lid.x; i < end; i = i + WG) { s = s + statsX[base + i]; }
  let cnt = f32(end - begin);
  let mean = workgroup_sum(s, lid.x) / cnt;
  var s2 = 0.0;
  for (var i = begin + lid.x; i < end; i = i + WG) { let d = statsX[base + i] - mean; s2 = s2 + d * d; }
  let m2 = workgroup_sum(s2, lid.x);
  if (lid.x == 0u) { statsOut[ng * p.P + p.slot0 + wid.x] = vec4<f32>(cnt, mean, m2, 0.0); }
}

// ---------------------------------------------------------------- finalize

@group(0) @binding(1) var<storage, read> partials: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> affineOut: array<vec2<f32>>;

var<workgroup> mCount: array<f32, WG>;
var<workgroup> mMean: array<f32, WG>;
var<workgroup> mM2: array<f32, WG>;

// Chan et al.: the (count, mean, M2) of the union of two disjoint sets of values.
fn merge(a: vec3<f32>, b: vec3<f32>) -> vec3<f32> {
  let n = a.x + b.x;
  if (n == 0.0) { return a; }
  let d = b.y - a.y;
  return vec3<f32>(n, a.y + d * (b.x / n), a.z + b.z + d * d * (a.x * b.x / n));
}

@compute @workgroup_size(64, 1, 1)
fn finalize(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let ng = wid.x;
  var acc = vec3<f32>(0.0);
  for (var i = lid.x; i < p.P; i = i + WG) { acc = merge(acc, partials[ng * p.P + i].xyz); }
  mCount[lid.x] = acc.x; mMean[lid.x] = acc.y; mM2[lid.x] = acc.z;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid.x < s) {
      let m = merge(vec3<f32>(mCount[lid.x], mMean[lid.x], mM2[lid.x]), vec3<f32>(mCount[lid.x + s], mMean[lid.x + s], mM2[lid.x + s]));
      mCount[lid.x] = m.x; mMean[lid.x] = m.y; mM2[lid.x] = m.z;
    }
    workgroupBarrier();
  }
  let mean = mMean[0];
  let rstd = 1.0 / sqrt(mM2[0] / mCount[0] + p.eps);
  let n = ng / p.G;
  let Cg = p.C / p.G;
  for (var k = lid.x; k < Cg; k = k + WG) {
    let c = (ng % p.G) * Cg + k;
    let scale = rstd * gamma[c];
    affineOut[n * p.C + c] = vec2<f32>(scale, beta[c] - mean * scale);
  }
}

// ---------------------------------------------------------------- apply

@group(0) @binding(1) var<storage, read> applyX: array<f32>;
@group(0) @binding(2) var<storage, read> affine: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> applyY: array<f32>;

@group(0) @binding(1) var<storage, read_write> inPlace: array<f32>;

fn normalize(i: u32, x: f32) -> f32 {
  let nc = i / (p.rows * p.W); // n * C + c
  let a = affine[nc];
  let v = x * a.x + a.y;
  return select(v, v / (1.0 + exp(-v)), SILU);
}

@compute @workgroup_size(256, 1, 1)
fn apply(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowWidth;
  if (i >= p.count) { return; }
  let v = normalize(i, applyX[i]);
  if (TOKENS) {
    let hw = i % (p.rows * p.W);
    let nc = i / (p.rows * p.W);
    let n = nc / p.C;
    let c = nc % p.C;
    applyY[(n * p.H * p.W + p.row0 * p.W + hw) * p.C + c] = v;
  } else {
    applyY[i] = v;
  }
}

@compute @workgroup_size(256, 1, 1)
fn apply_in_place(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowWidth;
  if (i >= p.count) { return; }
  inPlace[i] = normalize(i, inPlace[i]);
}
