// Multi-head attention, flash-style, for head dims that are a multiple of 4: the same
// computation as attention.wgsl (o = softmax(q k^T * scale) v per head, online softmax, no
// T x T buffer), with q/k/v read as vec4 and keys taken four at a time, so the running
// maximum and the accumulator are rescaled once per four keys instead of once per key.
//
// Layouts as attention.wgsl: rows of `qkv` [B*T, rowStride] in vec4 units here (rowStride,
// the offsets and HEAD_DIM are divisible by 4); o is [B*T, outStride].
// One invocation per query row of one (batch, head): dispatch (ceil(T / 64), B * H).
// HEAD_DIM4 (= head dim / 4) is specialised at pipeline creation.

const HEAD_DIM4: u32 = 16u;

struct Params {
  T: u32, H: u32, rowStride4: u32, outStride4: u32,
  qOffset4: u32, kOffset4: u32, vOffset4: u32, scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> qkv: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> o: array<vec4<f32>>;

fn score(q: ptr<function, array<vec4<f32>, HEAD_DIM4>>, kBase: u32) -> f32 {
  var s = vec4<f32>(0.0);
  for (var d = 0u; d < HEAD_DIM4; d = d + 1u) { s = fma((*q)[d], qkv[kBase + d], s); }
  return s.x + s.y + s.z + s.w;
}

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= p.T) { return; }
  let b = gid.y / p.H;
  let h = gid.y % p.H;
  let rowBase = b * p.T;
  let headCol = h * HEAD_DIM4;

  var q: array<vec4<f32>, HEAD_DIM4>;
  var acc: array<vec4<f32>, HEAD_DIM4>;
  let qBase = (rowBase + i) * p.rowStride4 + p.qOffset4 + headCol;
  for (var d = 0u; d < HEAD_DIM4; d = d + 1u) {
    q[d] = qkv[qBase + d] * p.scale;
    acc[d] = vec4<f32>(0.0);
  }
  var runningMax = -3.4e38;
  var denom = 0.0;
  let last = p.T - 1u;
  for (var j = 0u; j < p.T; j = j + 4u) {
    // Keys past the end are clamped for the load and given zero weight.
    let r0 = (rowBase + j) * p.rowStride4;
    let r1 = (rowBase + min(j + 1u, last)) * p.rowStride4;
    let r2 = (rowBase + min(j + 2u, last)) * p.rowStride4;
    let r3 = (rowBase + min(j + 3u, last)) * p.rowStride4;
    let kc = p.kOffset4 + headCol;
    var s = vec4<f32>(score(&q, r0 + kc), score(&q, r1 + kc), score(&q, r2 + kc), score(&q, r3 + kc));
    let valid = vec4<bool>(true, j + 1u <= last, j + 2u <= last, j + 3u <= last);
    s = select(vec4<f32>(-3.4e38), s, valid);
    let newMax = max(runningMax, max(max(s.x, s.y), max(s.z, s.w)));
    let correction = exp(runningMax - newMax);
    let w = select(vec4<f32>(0.0), exp(s - vec4<f32>(newMax)), valid);
    denom = denom * correction + (w.x + w.y + w.z + w.w);
    runningMax = newMax;
    let vc = p.vOffset4 + headCol;
    for (var d = 0u; d < HEAD_DIM4; d = d + 1u) {
      var a = acc[d] * correction;
      a = fma(vec4<f32>(w.x), qkv[r0 + vc + d], a);
      a = fma(vec4<f32>(w.y), qkv[r1 + vc + d], a);
      a = fma(vec4<f32>(w.z), qkv[r2 + vc + d], a);
      a = fma(vec4<f32>(w.w), qkv[r3 + vc + d], a);
      acc[d] = a;
    }
  }
  let inv = 1.0 / denom;
  let oBase = (rowBase + i) * p.outStride4 + headCol;
  for (var d = 0u; d < HEAD_DIM4; d = d + 1u) { o[oBase + d] = acc[d] * inv; }
}
