// Multi-head attention, flash-style with K/V tiles in workgroup memory (FlashAttention's tiling,
// for real GPUs): one workgroup per block of 64 query rows and one (batch, head). Per tile of
// TILE_KEYS keys, the workgroup stages the tile's k and v vectors [TILE_KEYS][HEAD_DIM4] in
// workgroup memory, each invocation loading its share, so global memory is read once per tile
// per workgroup instead of once per invocation; then every invocation updates its own query's
// online softmax from workgroup memory, four keys per update (as attention_vec4.wgsl).
// Same result as attention.wgsl: o = softmax(q k^T * scale) v per head, no T x T buffer.
//
// Layouts as attention_vec4.wgsl: rows of `qkv` [B*T, rowStride] in vec4 units (rowStride, the
// offsets and the head dim divisible by 4); o is [B*T, outStride]. Query rows past T are clamped
// (every invocation reaches every barrier) and not stored; keys past T get zero weight.
// Dispatch (ceil(T / 64), B * H). Workgroup memory: 2 * TILE_KEYS * HEAD_DIM4 * 16 bytes, which
// the caller checks against the adapter's limit. HEAD_DIM4 (= head dim / 4) and TILE_KEYS (a
// multiple of 4) are specialised at pipeline creation.

const HEAD_DIM4: u32 = 16u;
const TILE_KEYS: u32 = 16u;
const QUERIES_PER_GROUP: u32 = 64u;

struct Params {
  T: u32, H: u32, rowStride4: u32, outStride4: u32,
  qOffset4: u32, kOffset4: u32, vOffset4: u32, scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> qkv: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> o: array<vec4<f32>>;

var<workgroup> ks: array<vec4<f32>, TILE_KEYS * HEAD_DIM4>;
var<workgroup> vs: array<vec4<f32>, TILE_KEYS * HEAD_DIM4>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let b = wg.y / p.H;
  let h = wg.y % p.H;
  let rowBase = b * p.T;
  let headCol = h * HEAD_DIM4;
  let last = p.T - 1u;
  let i = wg.x * QUERIES_PER_GROUP + li;

  var q: array<vec4<f32>, HEAD_DIM4>;
  var acc: array<vec4<f32>, HEAD_DIM4>;
  let qBase = (rowBase + min(i, last)) * p.rowStride4 + p.qOffset4 + headCol;
  for (var d = 0u; d < HEAD_DIM4; d = d + 1u) {
    q[d] = qkv[qBase + d] * p.scale;
    acc[d] = vec4<f32>(0.0);
  }
  var runningMax = -3.4e38;
  var denom = 0.0;

  for (var j0 = 0u; j0 < p.T; j0 = j0 + TILE_KEYS) {
    // Stage the tile: element e is key e / HEAD_DIM4, vec4 e % HEAD_DIM4 (clamped past the end).
    for (var e = li; e < TILE_KEYS * HEAD_DIM4; e = e + QUERIES_PER_GROUP) {
      let row = (rowBase + min(j0 + e / HEAD_DIM4, last)) * p.rowStride4 + headCol + e % HEAD_DIM4;
      ks[e] = qkv[row + p.kOffset4];
      vs[e] = qkv[row + p.vOffset4];
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_KEYS; kk = kk + 4u) {
      let j = j0 + kk;
      let valid = vec4<bool>(j <= last, j + 1u <= last, j + 2u <= last, j + 3u <= last);
      var s = vec4<f32>(0.0);
      for (var d = 0u; d < HEAD_DIM4; d = d + 1u) {
        let qd = q[d];
        s = s + vec4<f32>(dot(qd, ks[kk * HEAD_DIM4 + d]), dot(qd, ks[(kk + 1u) * HEAD_DIM4 + d]),
                          dot(qd, ks[(kk + 2u) * HEAD_DIM4 + d]), dot(qd, ks[(kk + 3u) * HEAD_DIM4 + d]));
      }
      let sq = select(vec4<f32>(-3.4e38), s, valid);
      let newMax = max(runningMax, max(max(sq.x, sq.y), max(sq.z, sq.w)));
      let corr = exp(runningMax - newMax);
      let wq = select(vec4<f32>(0.0), exp(sq - vec4<f32>(newMax)), valid);
      denom = denom * corr + (wq.x + wq.y + wq.z + wq.w);
      runningMax = newMax;
      for (var d = 0u; d < HEAD_DIM4; d = d + 1u) {
        var a = acc[d] * corr;
        a = fma(vec4<f32>(wq.x), vs[kk * HEAD_DIM4 + d], a);
        a = fma(vec4<f32>(wq.y), vs[(kk + 1u) * HEAD_DIM4 + d], a);
        a = fma(vec4<f32>(wq.z), vs[(kk + 2u) * HEAD_DIM4 + d], a);
        a = fma(vec4<f32>(wq.w), vs[(kk + 3u) * HEAD_DIM4 + d], a);
        acc[d] = a;
      }
    }
    workgroupBarrier();
  }
  if (i < p.T) {
    let inv = 1.0 / denom;
    let oBase = (rowBase + i) * p.outStride4 + headCol;
    for (var d = 0u; d < HEAD_DIM4; d = d + 1u) { o[oBase + d] = acc[d] * inv; }
  }
}
