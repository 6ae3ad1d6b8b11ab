// Single-head attention with a wide head (the VAE mid-block: head dim = channels, 512 in SD's VAE,
// over up to a few thousand tokens): o = softmax(q kᵀ · scale) v, with the score rows held in a
// buffer instead of private per-query accumulators (a 512-float accumulator per invocation would
// spill), so every pass is a register-tiled product like the matmul.
//
// Layouts (token-major): q, k, v are read from `qkv` rows [B*N, rowStride] at column offsets
// qOffset / kOffset / vOffset (one fused projection [q | k | v]); o is [B*N, C]. One recording
// handles queries qRow0 .. qRow0 + qRows of sample b (rowBase = b * N), so a long sequence can be
// split into query chunks that keep the score buffer s [qRows, N] within a binding.
//
// Three entry points, recorded in this order:
//   scores         s[i, j] = scale · q[qRow0 + i] · k[j]; an invocation computes 4 queries x 4 keys;
//                  workgroup 8 x 8 = 32 x 32 scores. Dispatch (ceil(N / 32), ceil(qRows / 32)).
//   softmax_rows   in place over each row of s (max-subtracted). Dispatch (qRows).
//   weighted_sum   o[rowBase + qRow0 + i, c] = sum_j s[i, j] v[j, c]; 4 queries x 4 channels per
//                  invocation. Dispatch (ceil(C / 32), ceil(qRows / 32)).
//
// Bindings: scores 1 qkv, 2 s; softmax_rows 1 s; weighted_sum 1 s, 2 qkv, 3 o.

struct Params {
  N: u32, C: u32, rowStride: u32,
  qOffset: u32, kOffset: u32, vOffset: u32,
  rowBase: u32, qRow0: u32, qRows: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;

// ---------------------------------------------------------------- scores

@group(0) @binding(1) var<storage, read> scoreQkv: array<f32>;
@group(0) @binding(2) var<storage, read_write> scoreOut: array<f32>;

fn store_score(i: u32, j0: u32, acc: vec4<f32>) {
  if (i >= p.qRows) { return; }
  let row = i * p.N;
  if (j0 + 0u < p.N) { scoreOut[row + j0 + 0u] = acc.x * p.scale; }
  if (j0 + 1u < p.N) { scoreOut[row + j0 + 1u] = acc.y * p.scale; }
  if (j0 + 2u < p.N) { scoreOut[row + j0 + 2u] = acc.z * p.scale; }
  if (j0 + 3u < p.N) { scoreOut[row + j0 + 3u] = acc.w * p.scale; }
}

@compute @workgroup_size(8, 8, 1)
fn scores(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j0 = gid.x * 4u;
  let i0 = gid.y * 4u;
  if (j0 >= p.N || i0 >= p.qRows) { return; }
  // Rows past the end are clamped on load and skipped on store.
  let q = p.rowBase + p.qRow0;
  let q0 = (q + min(i0 + 0u, p.qRows - 1u)) * p.rowStride + p.qOffset;
  let q1 = (q + min(i0 + 1u, p.qRows - 1u)) * p.rowStride + p.qOffset;
  let q2 = (q + min(i0 + 2u, p.qRows - 1u)) * p.rowStride + p.qOffset;
  let q3 = (q + min(i0 + 3u, p.qRows - 1u)) * p.rowStride + p.qOffset;
  let k0 = (p.rowBase + min(j0 + 0u, p.N - 1u)) * p.rowStride + p.kOffset;
  let k1 = (p.rowBase + min(j0 + 1u, p.N - 1u)) * p.rowStride + p.kOffset;
  let k2 = (p.rowBase + min(j0 + 2u, p.N - 1u)) * p.rowStride + p.kOffset;
  let k3 = (p.rowBase + min(j0 + 3u, p.N - 1u)) * p.rowStride + p.kOffset;
  var a0 = vec4<f32>(0.0); var a1 = vec4<f32>(0.0); var a2 = vec4<f32>(0.0); var a3 = vec4<f32>(0.0);
  for (var c = 0u; c < p.C; c = c + 1u) {
    let k = vec4<f32>(scoreQkv[k0 + c], scoreQkv[k1 + c], scoreQkv[k2 + c], scoreQkv[k3 + c]);
    a0 = fma(vec4<f32>(scoreQkv[q0 + c]), k, a0);
    a1 = fma(vec4<f32>(scoreQkv[q1 + c]), k, a1);
    a2 = fma(vec4<f32>(scoreQkv[q2 + c]), k, a2);
    a3 = fma(vec4<f32>(scoreQkv[q3 + c]), k, a3);
  }
  store_score(i0 + 0u, j0, a0);
  store_score(i0 + 1u, j0, a1);
  store_score(i0 + 2u, j0, a2);
  store_score(i0 + 3u, j0, a3);
}

// ---------------------------------------------------------------- softmax_rows

@group(0) @binding(1) var<storage, read_write> probs: array<f32>;

const WG: u32 = 64u;
var<workgroup> red: array<f32, WG>;

fn workgroup_reduce(v: f32, lid: u32, isMax: bool) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { red[lid] = select(red[lid] + red[lid + s], max(red[lid], red[lid + s]), isMax); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(64, 1, 1)
fn softmax_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let base = wid.x * p.N;
  var m = -3.4e38;
  for (var j = lid.x; j < p.N; j = j + WG) { m = max(m, probs[base + j]); }
  m = workgroup_reduce(m, lid.x, true);
  var s = 0.0;
  for (var j = lid.x; j < p.N; j = j + WG) { let e = exp(probs[base + j] - m); probs[base + j] = e; s = s + e; }
  let inv = 1.0 / workgroup_reduce(s, lid.x, false);
  for (var j = lid.x; j < p.N; j = j + WG) { probs[base + j] = probs[base + j] * inv; }
}

// ---------------------------------------------------------------- weighted_sum

@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read> valueQkv: array<f32>;
@group(0) @binding(3) var<storage, read_write> o: array<f32>;

fn store_out(i: u32, c0: u32, acc: vec4<f32>) {
  if (i >= p.qRows) { return; }
  let row = (p.rowBase + p.qRow0 + i) * p.C;
  if (c0 + 0u < p.C) { o[row + c0 + 0u] = acc.x; }
  if (c0 + 1u < p.C) { o[row + c0 + 1u] = acc.y; }
  if (c0 + 2u < p.C) { o[row + c0 + 2u] = acc.z; }
  if (c0 + 3u < p.C) { o[row + c0 + 3u] = acc.w; }
}

@compute @workgroup_size(8, 8, 1)
fn weighted_sum(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c0 = gid.x * 4u;
  let i0 = gid.y * 4u;
  if (c0 >= p.C || i0 >= p.qRows) { return; }
  let s0 = min(i0 + 0u, p.qRows - 1u) * p.N;
  let s1 = min(i0 + 1u, p.qRows - 1u) * p.N;
  let s2 = min(i0 + 2u, p.qRows - 1u) * p.N;
  let s3 = min(i0 + 3u, p.qRows - 1u) * p.N;
  let cLast = p.C - 1u;
  var a0 = vec4<f32>(0.0); var a1 = vec4<f32>(0.0); var a2 = vec4<f32>(0.0); var a3 = vec4<f32>(0.0);
  for (var j = 0u; j < p.N; j = j + 1u) {
    let vr = (p.rowBase + j) * p.rowStride + p.vOffset;
    let v = vec4<f32>(valueQkv[vr + min(c0, cLast)], valueQkv[vr + min(c0 + 1u, cLast)],
                      valueQkv[vr + min(c0 + 2u, cLast)], valueQkv[vr + min(c0 + 3u, cLast)]);
    a0 = fma(vec4<f32>(weights[s0 + j]), v, a0);
    a1 = fma(vec4<f32>(weights[s1 + j]), v, a1);
    a2 = fma(vec4<f32>(weights[s2 + j]), v, a2);
    a3 = fma(vec4<f32>(weights[s3 + j]), v, a3);
  }
  store_out(i0 + 0u, c0, a0);
  store_out(i0 + 1u, c0, a1);
  store_out(i0 + 2u, c0, a2);
  store_out(i0 + 3u, c0, a3);
}
