// SiLU: out[i] = x[i] * sigmoid(x[i]) = x / (1 + exp(-x)), for i < count.
// 2-D dispatch so counts past 65535 workgroups fit: i = gid.x + gid.y * rowWidth.

struct Params { count: u32, rowWidth: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowWidth;
  if (i >= p.count) { return; }
  let v = x[i];
  out[i] = v / (1.0 + exp(-v));
}
