// Multi-head attention, flash-style, for head dims that are a multiple of 4: the same
// computation as attention.wgsl (o = softmax(q k^T * scale) v per head, online softmax, no
// T x T buffer), with q/k/v read as vec4 and keys taken four at a time, so the running
// maximum and the accumulator are rescaled once per four keys instead of once per key.
// Each invocation owns QUERIES query rows (1, 2, 4 or 8; a define), so every key and value
// vector it loads serves QUERIES rows: SwiftShader, a CPU, pays per load rather than per FMA
// (measured at DiT-S/2, 256 tokens: 8 queries ~4.7x faster than 1), while a real GPU may prefer
// fewer registers per invocation: the autotune picks (src/gpu/attention-tiles.ts).
//
// Layouts as attention.wgsl: rows of `qkv` [B*T, rowStride] in vec4 units here (rowStride,
// the offsets and HEAD_DIM are divisible by 4); o is [B*T, outStride]. Queries past T are
// clamped on load and skipped on store.
// One invocation per QUERIES query rows of one (batch, head): dispatch (ceil(T / (64 QUERIES)), B * H).
// HEAD_DIM4 (= head dim / 4) and QUERIES are specialised at pipeline creation.

const HEAD_DIM4: u32 = 16u;
const QUERIES: u32 = 1u;

struct Params {
  T: u32, H: u32, rowStride4: u32, outStride4: u32,
  qOffset4: u32, kOffset4: u32, vOffset4: u32, scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> qkv: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> o: array<vec4<f32>>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i0 = gid.x * QUERIES;
  if (i0 >= p.T) { return; }
  let b = gid.y / p.H;
  let h = gid.y % p.H;
  let rowBase = b * p.T;
  let headCol = h * HEAD_DIM4;
  let last = p.T - 1u;

  var q: array<array<vec4<f32>, HEAD_DIM4>, QUERIES>;
  var acc: array<array<vec4<f32>, HEAD_DIM4>, QUERIES>;
  var runningMax: array<f32, QUERIES>;
  var denom: array<f32, QUERIES>;
  for (var qi = 0u; qi < QUERIES; qi = qi + 1u) {
    let qBase = (rowBase + min(i0 + qi, last)) * p.rowStride4 + p.qOffset4 + headCol;
    for (var d = 0u; d < HEAD_DIM4; d = d + 1u) {
      q[qi][d] = qkv[qBase + d] * p.scale;
      acc[qi][d] = vec4<f32>(0.0);
    }
    runningMax[qi] = -3.4e38;
    denom[qi] = 0.0;
  }
  for (var j = 0u; j < p.T; j = j + 4u) {
    // Keys past the end are clamped for the load and given zero weight.
    let r0 = (rowBase + j) * p.rowStride4;
    let r1 = (rowBase + min(j + 1u, last)) * p.rowStride4;
    let r2 = (rowBase + min(j + 2u, last)) * p.rowStride4;
    let r3 = (rowBase + min(j + 3u, last)) * p.rowStride4;
    let valid = vec4<bool>(true, j + 1u <= last, j + 2u <= last, j + 3u <= last);
    let kc = p.kOffset4 + headCol;
    let vc = p.vOffset4 + headCol;
    // Scores of the four keys for every query: each key vector is loaded once.
    var s: array<vec4<f32>, QUERIES>;
    for (var qi = 0u; qi < QUERIES; qi = qi + 1u) { s[qi] = vec4<f32>(0.0); }
    for (var d = 0u; d < HEAD_DIM4; d = d + 1u) {
      let k0 = qkv[r0 + kc + d]; let k1 = qkv[r1 + kc + d]; let k2 = qkv[r2 + kc + d]; let k3 = qkv[r3 + kc + d];
      for (var qi = 0u; qi < QUERIES; qi = qi + 1u) {
        let qd = q[qi][d];
        s[qi] = s[qi] + vec4<f32>(dot(qd, k0), dot(qd, k1), dot(qd, k2), dot(qd, k3));
      }
    }
    // Online softmax per query: new running max, the factor that rescales what came before.
    var wts: array<vec4<f32>, QUERIES>;
    var corr: array<f32, QUERIES>;
    for (var qi = 0u; qi < QUERIES; qi = qi + 1u) {
      let sq = select(vec4<f32>(-3.4e38), s[qi], valid);
      let newMax = max(runningMax[qi], max(max(sq.x, sq.y), max(sq.z, sq.w)));
      corr[qi] = exp(runningMax[qi] - newMax);
      let wq = select(vec4<f32>(0.0), exp(sq - vec4<f32>(newMax)), valid);
      denom[qi] = denom[qi] * corr[qi] + (wq.x + wq.y + wq.z + wq.w);
      runningMax[qi] = newMax;
      wts[qi] = wq;
    }
    // Accumulate the weighted values: each value vector is loaded once.
    for (var d = 0u; d < HEAD_DIM4; d = d + 1u) {
      let v0 = qkv[r0 + vc + d]; let v1 = qkv[r1 + vc + d]; let v2 = qkv[r2 + vc + d]; let v3 = qkv[r3 + vc + d];
      for (var qi = 0u; qi < QUERIES; qi = qi + 1u) {
        let wq = wts[qi];
        var a = acc[qi][d] * corr[qi];
        a = fma(vec4<f32>(wq.x), v0, a);
        a = fma(vec4<f32>(wq.y), v1, a);
        a = fma(vec4<f32>(wq.z), v2, a);
        a = fma(vec4<f32>(wq.w), v3, a);
        acc[qi][d] = a;
      }
    }
  }
  for (var qi = 0u; qi < QUERIES; qi = qi + 1u) {
    let i = i0 + qi;
    if (i < p.T) {
      let inv = 1.0 / denom[qi];
      let oBase = (rowBase + i) * p.outStride4 + headCol;
      for (var d = 0u; d < HEAD_DIM4; d = d + 1u) { o[oBase + d] = acc[qi][d] * inv; }
    }
  }
}
