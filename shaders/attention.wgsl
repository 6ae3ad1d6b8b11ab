// Multi-head attention, flash-style: o = softmax(q k^T * scale) v per head, with an online
// softmax over the keys, so no T x T score matrix is ever stored.
//
// Layouts (token-major): q, k and v are read from one buffer `qkv` of rows [B*T, rowStride]
// (a DiT block's fused qkv projection: row = [q | k | v], each D = H * HEAD_DIM wide, head h at
// columns h * HEAD_DIM); offsets qOffset/kOffset/vOffset select the three parts. o is [B*T, D].
// One invocation handles one query row of one (batch, head): dispatch (ceil(T / 64), B * H).
// HEAD_DIM is specialised at pipeline creation (it sizes the private accumulators).

const HEAD_DIM: u32 = 64u;

struct Params {
  T: u32, H: u32, rowStride: u32, outStride: u32,
  qOffset: u32, kOffset: u32, vOffset: u32, scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> qkv: array<f32>;
@group(0) @binding(2) var<storage, read_write> o: array<f32>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= p.T) { return; }
  let b = gid.y / p.H;
  let h = gid.y % p.H;
  let rowBase = b * p.T;
  let headCol = h * HEAD_DIM;

  var q: array<f32, HEAD_DIM>;
  var acc: array<f32, HEAD_DIM>;
  let qBase = (rowBase + i) * p.rowStride + p.qOffset + headCol;
  for (var d = 0u; d < HEAD_DIM; d = d + 1u) {
    q[d] = qkv[qBase + d] * p.scale;
    acc[d] = 0.0;
  }
  var runningMax = -3.4e38;
  var denom = 0.0;
  for (var j = 0u; j < p.T; j = j + 1u) {
    let row = (rowBase + j) * p.rowStride;
    let kBase = row + p.kOffset + headCol;
    var s = 0.0;
    for (var d = 0u; d < HEAD_DIM; d = d + 1u) { s = fma(q[d], qkv[kBase + d], s); }
    let newMax = max(runningMax, s);
    let correction = exp(runningMax - newMax);
    let weight = exp(s - newMax);
    denom = denom * correction + weight;
    runningMax = newMax;
    let vBase = row + p.vOffset + headCol;
    for (var d = 0u; d < HEAD_DIM; d = d + 1u) { acc[d] = fma(acc[d], correction, weight * qkv[vBase + d]); }
  }
  let inv = 1.0 / denom;
  let oBase = (rowBase + i) * p.outStride + headCol;
  for (var d = 0u; d < HEAD_DIM; d = d + 1u) { o[oBase + d] = acc[d] * inv; }
}
