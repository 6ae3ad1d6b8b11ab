// LayerNorm + adaLN modulation (the computation of layernorm_modulate.wgsl: read its header)
// for adapters that offer `subgroups`. A row's workgroup is exactly one subgroup (LANES = the
// adapter's smallest subgroup size), so its sums are single subgroupAdd calls: no workgroup
// memory and no barriers (the plain kernel's tree reduction takes 2 x 7 barriers per row).

enable subgroups;

struct Params { D: u32, T: u32, modStride: u32, shiftOffset: u32, scaleOffset: u32, eps: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> modulation: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

override LANES: u32 = 4u;

@compute @workgroup_size(LANES, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.x;
  let base = r * p.D;
  var s = 0.0;
  for (var d = lid; d < p.D; d = d + LANES) { s = s + x[base + d]; }
  let mean = subgroupAdd(s) / f32(p.D);
  var s2 = 0.0;
  for (var d = lid; d < p.D; d = d + LANES) { let c = x[base + d] - mean; s2 = s2 + c * c; }
  let rstd = inverseSqrt(subgroupAdd(s2) / f32(p.D) + p.eps);
  let m = (r / p.T) * p.modStride;
  for (var d = lid; d < p.D; d = d + LANES) {
    let scale = modulation[m + p.scaleOffset + d];
    let shift = modulation[m + p.shiftOffset + d];
    y[base + d] = (x[base + d] - mean) * rstd * (1.0 + scale) + shift;
  }
}
