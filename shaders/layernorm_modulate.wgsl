// LayerNorm without affine parameters (eps in Params), fused with adaLN modulation:
//   y = (x - mean) / sqrt(var + eps) * (1 + scale) + shift
// x, y: token-major [rows, D]; row r belongs to sample n = r / T. shift and scale are read from
// the modulation buffer [N, modStride] at columns shiftOffset.. and scaleOffset..
// (adaLN's chunks). One workgroup of 64 invocations per row; mean, then variance around it
// (two passes, as PyTorch computes it).

struct Params { D: u32, T: u32, modStride: u32, shiftOffset: u32, scaleOffset: u32, eps: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> modulation: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

const WG: u32 = 64u;
var<workgroup> partial: array<f32, WG>;

fn workgroup_sum(v: f32, lid: u32) -> f32 {
  partial[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { partial[lid] = partial[lid] + partial[lid + s]; }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let r = wid.x;
  let base = r * p.D;
  var s = 0.0;
  for (var d = lid.x; d < p.D; d = d + WG) { s = s + x[base + d]; }
  let mean = workgroup_sum(s, lid.x) / f32(p.D);
  var s2 = 0.0;
  for (var d = lid.x; d < p.D; d = d + WG) { let c = x[base + d] - mean; s2 = s2 + c * c; }
  let rstd = inverseSqrt(workgroup_sum(s2, lid.x) / f32(p.D) + p.eps);
  let m = (r / p.T) * p.modStride;
  for (var d = lid.x; d < p.D; d = d + WG) {
    let scale = modulation[m + p.scaleOffset + d];
    let shift = modulation[m + p.shiftOffset + d];
    y[base + d] = (x[base + d] - mean) * rstd * (1.0 + scale) + shift;
  }
}
